"""A freed file that changes is never fed to a job as data.

After zero/remove-intermediates, ``touch a.mid`` (Ruffus' way to force a rerun), an
append, a rewrite (even of the original size, even keeping the time), a re-creation of a
removed file or the deletion of a placeholder: the file's producer runs again before
any job reads it, so the final output stays byte-identical to real Ruffus'. A job that
would read a placeholder whose producer is not part of the run stops with an error
naming the file and the task, and loses nothing.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter

import pytest
from intermediates_kit import STRATEGIES, freed, is_freed, run, run_ruffus, write_script

CHAIN = '''
@originate(["a.start", "b.start", "c.start"])
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
    text = read(mid_file)
    write(out, "%s %d %s\\n" % (mid_file, len(text), text[-7:]))

@merge(end, "total.txt")
def total(ends, out):
    log("total", out)
    write(out, "".join(read(e) for e in sorted(ends)))
'''

PEEK = '''
@transform(["a.mid"], suffix(".mid"), ".peek")
def peek(mid_file, out):
    log("peek", out)
    write(out, read(mid_file))
'''

CHAIN_A = Counter(["make a.start", "mid a.mid", "end a.end", "total total.txt"])
EVERYTHING = Counter(["make %s.start" % n for n in "abc"] + ["mid %s.mid" % n for n in "abc"]
                     + ["end %s.end" % n for n in "abc"] + ["total total.txt"])
MID_SIZE = len("a.start" * 100)
KEEP_ENDS = {"RUFFUS_LUIGI_KEEP": "*.end", "JOBS": "2"}  # total then reads no freed file: only a's chain reruns


def expected_total(tmp_path) -> bytes:
    ref = tmp_path / "ruffus"
    ref.mkdir()
    write_script(ref, CHAIN)
    run_ruffus(ref)
    total = (ref / "total.txt").read_bytes()
    assert total == b"".join(b"%s.mid %d %s.START\n" % (n.encode(), MID_SIZE, n.upper().encode()) for n in "abc")
    return total


def later(path) -> None:
    """The file's time moves past every output's (a second later, as ``touch`` would after a while)."""
    now = time.time() + 2
    os.utime(path, (now, now))


def change(path, how: str) -> None:
    if how == "touch":
        path.touch()
        later(path)
    elif how == "append":
        with open(path, "a") as f:
            f.write("junk appended by hand\n")
        later(path)
    elif how == "rewrite same size":
        path.write_text("X" * MID_SIZE)
        later(path)
    elif how == "delete":
        path.unlink()


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: touched placeholder", "state corruption")
@pytest.mark.parametrize(("strategy", "how"), [
    (s, h) for s in STRATEGIES for h in ("touch", "append", "rewrite same size", "delete")
    if (s, h) != ("remove-intermediates", "delete")  # (a removed file is re-created by "touch")
])
def test_a_changed_placeholder_is_made_again_before_it_is_read(tmp_path, strategy, how):
    expected = expected_total(tmp_path)
    work = tmp_path / "run"
    work.mkdir()
    write_script(work, CHAIN)
    _, ran = run(work, strategy, KEEP_ENDS)
    assert ran == EVERYTHING
    assert is_freed(work, "a.mid", strategy)
    change(work / "a.mid", how)
    _, ran = run(work, strategy, KEEP_ENDS)
    assert ran == CHAIN_A, "the producer of a.mid must run before end reads it"
    assert (work / "total.txt").read_bytes() == expected, "a job read a placeholder"
    assert is_freed(work, "a.mid", strategy)

    _, ran = run(work, strategy, KEEP_ENDS)
    assert ran == Counter()
    assert (work / "total.txt").read_bytes() == expected


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: touched placeholder", "state corruption")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_touched_placeholder_read_by_a_merge_brings_back_every_input(tmp_path, strategy):
    expected = expected_total(tmp_path)
    work = tmp_path / "run"
    work.mkdir()
    write_script(work, CHAIN)
    run(work, strategy)
    change(work / "b.end", "touch")
    _, ran = run(work, strategy)
    assert ran == EVERYTHING
    assert (work / "total.txt").read_bytes() == expected
    _, ran = run(work, strategy)
    assert ran == Counter()


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: touched placeholder", "state corruption")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_placeholder_rewritten_keeping_size_and_time_is_still_not_trusted(tmp_path, strategy):
    """total lost: every file it needs is made again, a.mid too (it is not the file that was freed)."""
    expected = expected_total(tmp_path)
    work = tmp_path / "run"
    work.mkdir()
    write_script(work, CHAIN)
    run(work, strategy)
    size, mtime_ns = sqlite3.connect(work / ".ruffus_history.sqlite").execute(
        "SELECT size, mtime_ns FROM ruffus_luigi_intermediates WHERE path = ?", (str(work / "a.mid"),)
    ).fetchone()
    assert size == MID_SIZE
    (work / "a.mid").write_text("X" * MID_SIZE)
    os.utime(work / "a.mid", ns=(mtime_ns, mtime_ns))  # as it was before it was freed
    (work / "total.txt").unlink()
    _, ran = run(work, strategy)
    assert ran == EVERYTHING
    assert (work / "total.txt").read_bytes() == expected
    _, ran = run(work, strategy)
    assert ran == Counter()


@pytest.mark.timeout(300)
@pytest.mark.held("intermediates: touched placeholder", "bad input")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_job_that_would_read_a_placeholder_its_producer_does_not_remake_stops_naming_it(tmp_path, strategy):
    """``peek`` names a.mid literally, without depending on mid: run alone, nothing can remake a.mid."""
    expected = expected_total(tmp_path)
    work = tmp_path / "run"
    work.mkdir()
    write_script(work, CHAIN)
    run(work, strategy, KEEP_ENDS)
    write_script(work, CHAIN + PEEK, "with_peek.py")
    if strategy == "remove-intermediates":
        (work / "a.mid").touch()  # re-created by hand, empty
    done, ran = run(work, strategy, dict(KEEP_ENDS, TARGETS="peek"), check=False, script="with_peek.py")
    assert done.returncode != 0
    assert ran == Counter(), "peek must not run on the placeholder"
    assert "task 'peek' names %s" % (work / "a.mid") in done.stderr, done.stderr
    assert "no job of task 'mid' has made again" in done.stderr
    assert not (work / "a.peek").exists()
    assert freed(work)["a.mid"] == ("removed" if strategy == "remove-intermediates" else "zeroed")

    _, ran = run(work, strategy, KEEP_ENDS)  # the pipeline without peek: the placeholder is still one
    assert ran == (CHAIN_A if strategy == "remove-intermediates" else Counter())  # (re-created: newer)
    assert (work / "total.txt").read_bytes() == expected
    _, ran = run(work, strategy, KEEP_ENDS)
    assert ran == Counter()
