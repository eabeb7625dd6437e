"""``keep`` patterns protect what they name however they are spelled.

``./work/*``, ``work/../work/*``, an absolute path, a directory with or without a trailing
slash, a bare ``*.mid`` for files in a subdirectory, the real directory behind a
symbolically linked one: the files they match are never zeroed or removed, the others are,
and the rerun runs nothing with the final output byte-identical to real Ruffus'.
"""

from __future__ import annotations

from collections import Counter

import pytest
from intermediates_kit import STRATEGIES, contents, is_freed, run, run_ruffus, write_script

CHAIN = '''
@originate(["work/a.start", "work/b.start"])
def make(out):
    log("make", out)
    write(out, os.path.basename(out) * 100)

@transform(make, suffix(".start"), ".mid")
def mid(start, out):
    log("mid", out)
    write(out, read(start).upper())

@transform(mid, formatter(), "{basename[0]}.end")
def end(mid_file, out):
    log("end", out)
    write(out, "%d\\n" % len(read(mid_file)))

@merge(end, "total.txt")
def total(ends, out):
    log("total", out)
    write(out, "".join(read(e) for e in sorted(ends)))
'''

WORK = ["work/%s.%s" % (n, ext) for n in "ab" for ext in ("start", "mid")]
PATTERNS = {
    "dot slash": ["./work/*"],
    "dot dot": ["work/../work/*"],
    "absolute": ["{work}/work/*"],
    "directory": ["work"],
    "directory slash": ["work/"],
    "dot directory slash": ["./work/"],
    "two patterns": ["./work/*.mid", "work//*.start"],
    "real directory of a link": ["{real}/"],
}


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: keep patterns", "bad input")
@pytest.mark.parametrize("spelling", sorted(PATTERNS))
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_keep_pattern_protects_what_it_names_however_spelled(tmp_path, strategy, spelling):
    ref = tmp_path / "ruffus"
    (ref / "work").mkdir(parents=True)
    write_script(ref, CHAIN)
    run_ruffus(ref)
    expected = contents(ref, WORK + ["total.txt"])

    work = tmp_path / "run"
    real = tmp_path / "scratch"
    if spelling == "real directory of a link":
        real.mkdir()
        work.mkdir()
        (work / "work").symlink_to(real)
    else:
        (work / "work").mkdir(parents=True)
    write_script(work, CHAIN)
    keep = ",".join(p.format(work=work, real=real) for p in PATTERNS[spelling])
    env = {"RUFFUS_LUIGI_KEEP": keep}
    _, ran = run(work, strategy, env)
    assert sum(ran.values()) == 7
    assert contents(work, WORK + ["total.txt"]) == expected, "a file a keep pattern names was freed"
    assert is_freed(work, "a.end", strategy) and is_freed(work, "b.end", strategy)

    _, ran = run(work, strategy, env)
    assert ran == Counter()
    assert contents(work, WORK + ["total.txt"]) == expected


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: keep patterns", "bad input")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_bare_name_pattern_and_a_config_file_pattern_match_in_subdirectories(tmp_path, strategy):
    work = tmp_path / "run"
    (work / "work").mkdir(parents=True)
    write_script(work, CHAIN)
    (work / "luigi.cfg").write_text("[ruffus_luigi]\nkeep = *.mid, ./*.end\n")
    env = {"LUIGI_CONFIG_PATH": str(work / "luigi.cfg")}
    run(work, strategy, env)
    assert (work / "work" / "a.mid").read_text() == ("a.start" * 100).upper()
    assert (work / "a.end").read_text() == "%d\n" % len("a.start" * 100)
    assert is_freed(work, "work/a.start", strategy)
    _, ran = run(work, strategy, env)
    assert ran == Counter()
