"""zero/remove-intermediates free a file only once no job can still name it.

A later job may name an intermediate as an extra (the reference-genome idiom:
``@follows(index)`` plus ``"ref.idx"`` among its extras), inside nested lists or dicts,
spelled relative or absolute, or as a literal input of a task that only ``@follows``
something after the producer. Such a job must read the whole file, the run must end
byte-identical to real Ruffus, and a later run that needs the file again brings it back.
"""

from __future__ import annotations

from collections import Counter

import pytest
from intermediates_kit import STRATEGIES, contents, is_freed, run, run_ruffus, write_script

REFERENCE_GENOME = '''
SAMPLES = ["a", "b"] + (["c"] if os.path.exists("c.raw") else [])

@originate(["ref.fa"])
def ref(out):
    log("ref", out)
    write(out, "GATTACA" * 100)

@transform(ref, suffix(".fa"), ".idx")
def index(fa, idx):
    log("index", idx)
    write(idx, read(fa).lower())

@transform(index, suffix(".idx"), ".stats")
def stats(idx, out):
    log("stats", out)
    write(out, "%d\\n" % len(read(idx)))

@follows(stats)
@transform([s + ".raw" for s in SAMPLES], suffix(".raw"), ".aln", EXTRA)
def align(raw, aln, extra):
    log("align", aln)
    write(aln, read(raw) + ":" + read(NAME(extra)) + "\\n")

@merge(align, "all.txt")
def final(alns, out):
    log("final", out)
    write(out, "".join(read(a) for a in sorted(alns)))
'''

SPELLINGS = {
    "plain": ('"ref.idx"', "lambda e: e"),
    "absolute": ('os.path.abspath("ref.idx")', "lambda e: e"),
    "dotted": ('"./sub/../ref.idx"', "lambda e: e"),
    "nested": ('[["x", ("ref.idx",)]]', "lambda e: e[0][1][0]"),
    "dict": ('{"index": "ref.idx", "n": 3}', 'lambda e: e["index"]'),
}


def genome_script(spelling: str) -> str:
    extra, name = SPELLINGS[spelling]
    return "EXTRA = %s\nNAME = %s\n" % (extra, name) + REFERENCE_GENOME


def samples(workdir, names=("a", "b")) -> None:
    (workdir / "sub").mkdir(exist_ok=True)
    for n in names:
        (workdir / (n + ".raw")).write_text(n * 5)


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: still needed", "adversarial")
@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_index_named_among_a_later_jobs_extras_is_read_whole(tmp_path, strategy, spelling):
    script = genome_script(spelling)
    ref = tmp_path / "ruffus"
    ref.mkdir()
    write_script(ref, script)
    samples(ref)
    run_ruffus(ref)
    expected = contents(ref, ["all.txt", "ref.stats"])
    assert b"gattaca" in expected["all.txt"]

    work = tmp_path / "run"
    work.mkdir()
    write_script(work, script)
    samples(work)
    _, ran = run(work, strategy, {"JOBS": "2"})
    assert sum(ran.values()) == 6
    assert contents(work, ["all.txt", "ref.stats"]) == expected, "a job read a freed index"
    assert is_freed(work, "ref.idx", strategy) and is_freed(work, "ref.fa", strategy)
    _, ran = run(work, strategy, {"JOBS": "2"})
    assert ran == Counter()
    assert contents(work, ["all.txt", "ref.stats"]) == expected

    # a new sample: its job names the freed index, which is made again before it runs (and
    # final, which must run, reads every .aln: the freed ones are made again too)
    samples(work, ["c"])
    samples(ref, ["c"])
    assert run_ruffus(ref) == Counter(["align c.aln", "final all.txt"])
    _, ran = run(work, strategy, {"JOBS": "2"})
    assert ran == Counter(["ref ref.fa", "index ref.idx", "stats ref.stats", "align a.aln", "align b.aln",
                           "align c.aln", "final all.txt"])
    assert contents(work, ["all.txt", "ref.stats"]) == contents(ref, ["all.txt", "ref.stats"])
    _, ran = run(work, strategy, {"JOBS": "2"})
    assert ran == Counter()


LITERAL_AFTER_FOLLOWS = '''
@originate(["a.start", "b.start"])
def make(out):
    log("make", out)
    write(out, os.path.basename(out) * 100)

@transform(make, suffix(".start"), ".mid")
def mid(start, out):
    log("mid", out)
    write(out, read(start).upper())

@transform(mid, suffix(".mid"), ".end")
def end(mid_file, out):
    log("end", out)
    write(out, "%d\\n" % len(read(mid_file)))

@follows(end)
@merge(["a.mid", "b.mid"], "mids.txt")
def collect(mids, out):
    log("collect", out)
    write(out, "".join(read(m) for m in mids))

@follows(end)
@transform(["a.mid"], suffix(".mid"), ".copy")
def copy(mid_file, out):
    log("copy", out)
    write(out, read(mid_file))

@merge([end, collect, copy], "total.txt")
def total(inputs, out):
    log("total", out)
    write(out, "".join(read(i) for i in sorted(inputs)))
'''


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: still needed", "adversarial")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_literal_input_of_a_task_that_only_follows_a_later_one_is_read_whole(tmp_path, strategy):
    ref = tmp_path / "ruffus"
    ref.mkdir()
    write_script(ref, LITERAL_AFTER_FOLLOWS)
    run_ruffus(ref)
    names = ["total.txt"]  # it holds what collect and copy read
    expected = contents(ref, names)

    work = tmp_path / "run"
    work.mkdir()
    write_script(work, LITERAL_AFTER_FOLLOWS)
    _, ran = run(work, strategy)
    assert sum(ran.values()) == 9
    assert contents(work, names) == expected, "a job read a freed .mid"
    assert all(is_freed(work, n, strategy) for n in ("a.mid", "b.mid", "a.start", "mids.txt", "a.copy"))
    _, ran = run(work, strategy)
    assert ran == Counter()
    assert contents(work, names) == expected


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: still needed", "adversarial")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_files_a_task_outside_the_targets_names_in_its_extras_are_kept(tmp_path, strategy):
    """``stats`` is the target: ``align``, not run, names ref.idx among its extras."""
    work = tmp_path / "run"
    work.mkdir()
    write_script(work, genome_script("plain"))
    samples(work)
    _, ran = run(work, strategy, {"TARGETS": "stats"})
    assert ran == Counter(["ref ref.fa", "index ref.idx", "stats ref.stats"])
    assert (work / "ref.idx").read_text() == "gattaca" * 100, "align, still to run, names it"
    # what final (after align, neither run) will name is unknown: ref.fa is kept too
    assert (work / "ref.fa").read_text() == "GATTACA" * 100
    _, ran = run(work, strategy)
    assert ran == Counter(["align a.aln", "align b.aln", "final all.txt"])
    assert (work / "all.txt").read_text() == "".join("%s:%s\n" % (n * 5, "gattaca" * 100) for n in "ab")
    assert all(is_freed(work, n, strategy) for n in ("ref.fa", "ref.idx", "a.aln"))
    _, ran = run(work, strategy)
    assert ran == Counter()


GLOB_IN_EXTRAS = '''
import glob
SAMPLES = ["a", "b"] + (["c"] if os.path.exists("c.wanted") else [])

@originate([s + ".start" for s in SAMPLES])
def make(out):
    log("make", out)
    write(out, os.path.basename(out) * 100)

@transform(make, suffix(".start"), ".mid")
def mid(start, out):
    log("mid", out)
    write(out, read(start).upper())

@transform(mid, suffix(".mid"), ".end")
def end(mid_file, out):
    log("end", out)
    write(out, "%d\\n" % len(read(mid_file)))

@merge(end, "report.txt", "*.mid")
def report(ends, out, pattern):
    log("report", out)
    write(out, "".join(read(e) for e in sorted(ends)) + "".join(read(m) for m in sorted(glob.glob(pattern))))
'''


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: still needed", "adversarial")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_files_a_job_globs_itself_from_a_pattern_in_its_extras_are_made_again_first(tmp_path, strategy):
    env = {"RUFFUS_LUIGI_KEEP": "*.end"}  # report's inputs stay: only its pattern names the .mid files
    ref = tmp_path / "ruffus"
    ref.mkdir()
    write_script(ref, GLOB_IN_EXTRAS)
    run_ruffus(ref)
    work = tmp_path / "run"
    work.mkdir()
    write_script(work, GLOB_IN_EXTRAS)
    run(work, strategy, env)
    assert contents(work, ["report.txt"]) == contents(ref, ["report.txt"])
    assert is_freed(work, "a.mid", strategy)

    for where in (ref, work):
        (where / "c.wanted").touch()
    assert run_ruffus(ref) == Counter(["make c.start", "mid c.mid", "end c.end", "report report.txt"])
    _, ran = run(work, strategy, env)
    # a.mid and b.mid are made again for report; being new, their .end files are too
    assert ran == Counter(["%s %s.%s" % (task, s, ext) for s in "abc"
                           for task, ext in (("make", "start"), ("mid", "mid"), ("end", "end"))]
                          + ["report report.txt"])
    assert contents(work, ["report.txt"]) == contents(ref, ["report.txt"]), "report globbed placeholders"
    _, ran = run(work, strategy, env)
    assert ran == Counter()
