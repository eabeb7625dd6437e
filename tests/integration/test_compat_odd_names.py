"""Odd file names, differentially: the same script under Ruffus 3.0.0 and ``ruffus-luigi run``.

Names with spaces, a newline, a tab, quotes, shell metacharacters, a leading ``-``, ``%`` and
``{}``, a byte that is not UTF-8, a 255-byte base name and two differing only in case: both
print the same lines at verbose 3 (in their own order: jobs run two at a time), run the
same jobs and leave the same files. ruffus-luigi's rerun runs nothing; Ruffus' own rerun
stops with a UnicodeEncodeError on the name that is not UTF-8.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_kit import IMPLEMENTATIONS, both, run, tree  # noqa: E402

NAMES = [
    b"a b.txt", b"nl\nx.txt", b"tab\tx.txt", b"q'\"x.txt", b"$(touch pwned).txt", b"`touch pwned`.txt",
    b"a;touch pwned.txt", b"a|touch pwned.txt", b"-lead.txt", b"pct%s%(x)s{}{0}.txt", b"x" * 251 + b".txt",
    b"Case.txt", b"case.txt", b"\xff.txt",
]

SCRIPT = """\
import os
from ruffus import *

NAMES = [os.fsdecode(bytes.fromhex(h)) for h in %r]


def log(task, path):
    with open("jobs.log", "a") as f:
        f.write("%%s %%r\\n" %% (task, os.path.basename(path)))


@originate(NAMES)
def make(out):
    log("make", out)
    with open(out, "w", errors="surrogateescape") as f:
        f.write("made %%r\\n" %% os.path.basename(out))


@transform(make, suffix(".txt"), ".mid")
def mid(inp, out):
    log("mid", out)
    with open(out, "w", errors="surrogateescape") as f:
        f.write(open(inp, errors="surrogateescape").read() + "mid\\n")


@merge(mid, "all.out")
def total(inputs, out):
    log("total", out)
    with open(out, "w") as f:
        f.write("".join(open(i, errors="surrogateescape").read() for i in sorted(inputs)))


pipeline_run(multiprocess=2, verbose=3)
""" % [n.hex() for n in NAMES]


@pytest.mark.timeout(300)
def test_odd_names_print_run_and_leave_what_ruffus_does(tmp_path):
    done = both(tmp_path, SCRIPT)
    for impl in IMPLEMENTATIONS:
        assert done[impl].returncode == 0, done[impl].stderr
    for stream in ("stdout", "stderr"):
        assert sorted(getattr(done["ruffus_luigi"], stream).splitlines()) == sorted(getattr(done["ruffus"], stream).splitlines())
    jobs = {impl: sorted((tmp_path / impl / "jobs.log").read_text().splitlines()) for impl in IMPLEMENTATIONS}
    assert jobs["ruffus_luigi"] == jobs["ruffus"] and len(jobs["ruffus"]) == 2 * len(NAMES) + 1
    files = {impl: {k: v for k, v in tree(tmp_path / impl).items() if k != "jobs.log"} for impl in IMPLEMENTATIONS}
    assert files["ruffus_luigi"] == files["ruffus"]
    rerun = run("ruffus_luigi", tmp_path / "ruffus_luigi", SCRIPT)
    assert rerun.returncode == 0, rerun.stderr
    assert len((tmp_path / "ruffus_luigi" / "jobs.log").read_text().splitlines()) == 2 * len(NAMES) + 1
    # Ruffus' own rerun stops: its history looks the name up as UTF-8 text (a deliberate
    # difference: ruffus-luigi keeps such a name's record as its bytes and finds it)
    rerun = run("ruffus", tmp_path / "ruffus", SCRIPT)
    assert rerun.returncode != 0 and "UnicodeEncodeError" in rerun.stderr
    for impl in IMPLEMENTATIONS:
        assert not list((tmp_path / impl).rglob("pwned"))
