"""Up-to-date decisions on file times against real Ruffus 3.0.0, over three runs.

Each case runs three times under real Ruffus and three times under ``ruffus-luigi run`` (a
file changed between the first two runs where the case says so); the jobs each run ran and
the files left must be the same. The cases are outputs whose file is not newer than their
input (a hard link, a copy keeping the input's time, a time set equal to the input's, whole-
second times) and links (symbolic links to the input, an input that is a link to a touched
file, an input touched into the future), with and without checkpoint strategies, and a
directory as output and a ``touch_file`` flag.

Ruffus records each job's outputs as the job ends, with the wall clock when that is within
1.1 s of the file's time: a hard-linked output is up to date because it is recorded just
after its input. The cases marked ``slow sibling`` put a slow job next to it (under
``multithread`` every job of a task is one chunk, and a task of over 50 jobs is cut in
chunks): recorded at the end of the chunk, its time was the file's, older than its input's
record, and ruffus-luigi reran it on every run (they fail on the code before the fix). An
output dated ahead of the clock (a file server's) makes Ruffus start every later task a
second apart, so that the outputs it makes then are dated after it; ruffus-luigi did not,
and reran the job after it (fail before the fix). The others are guards: they held before.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_kit import IMPLEMENTATIONS, run, tree  # noqa: E402

HEAD = """\
import os, shutil, sys, time
from ruffus import *

def log(name, path):
    with open("ran.log", "a") as f:
        f.write("%s %s\\n" % (name, os.path.basename(path)))

def publish(i, o):
    if os.path.lexists(o):
        os.unlink(o)
    os.link(i, o)

if not os.path.exists("old.in"):  # a user's input, long before any run
    with open("old.in", "w") as f:
        f.write("old\\n")
    os.utime("old.in", (1e9, 1e9))

@originate(["a.in", "b.in"])
def make(o):
    log("make", o)
    with open(o, "w") as f:
        f.write("made %s\\n" % os.path.basename(o))
"""

# the job of b.in is slow: recorded at the end of a chunk holding it, a.out's record is late
SIBLING = """
@transform(make, suffix(".in"), ".out")
def step(i, o):
    log("step", o)
    if i.endswith("b.in"):
        time.sleep(1.3)
        with open(o, "w") as f:
            f.write("slow\\n")
        return
    %s
"""

MULTITHREAD = "\npipeline_run(verbose=0, multithread=2)\n"
ONE_PROCESS = "\npipeline_run(verbose=0)\n"

CASES: dict[str, dict] = {
    # slow sibling (fail before the fix)
    "hard link, slow sibling": {"body": SIBLING % "publish(i, o)" + MULTITHREAD},
    "copy keeping the input's time, slow sibling": {"body": SIBLING % "shutil.copy2(i, o)" + MULTITHREAD},
    "time set equal to the input's, slow sibling": {
        "body": SIBLING
        % (
            "shutil.copyfile(i, o)\n"
            "    st = os.stat(i)\n"
            "    os.utime(o, ns=(st.st_atime_ns, st.st_mtime_ns))"
        )
        + MULTITHREAD
    },
    "whole-second times, slow sibling": {
        # a file system keeping whole seconds: input and output have the same time, the
        # input's record a fraction after it (made just after a second begins)
        "head": HEAD.replace(
            '    with open(o, "w") as f:\n        f.write("made',
            '    time.sleep(1.01 - time.time() % 1)\n    with open(o, "w") as f:\n        f.write("made',
        ).replace('os.path.basename(o))\n', 'os.path.basename(o))\n    t = int(os.stat(o).st_mtime)\n    os.utime(o, (t, t))\n'),
        "body": SIBLING
        % (
            "with open(o, 'w') as f:\n"
            "        f.write('x\\n')\n"
            "    t = os.stat(i).st_mtime\n"
            "    os.utime(o, (t, t))"
        )
        + MULTITHREAD,
    },
    "hard link, atomic, slow sibling": {
        "body": SIBLING % "publish(i, o)" + MULTITHREAD,
        "env": {"RUFFUS_LUIGI_CHECKPOINT": "atomic"},
    },
    "hard link, zero-intermediates, slow sibling": {
        "body": SIBLING % "publish(i, o)"
        + """
@transform(step, suffix(".out"), ".final")
def final(i, o):
    log("final", o)
    with open(o, "w") as f:
        f.write(open(i).read() + "final\\n")
"""
        + MULTITHREAD,
        "env": {"RUFFUS_LUIGI_CHECKPOINT": "atomic,zero-intermediates"},
        # intermediates with one name are zeroed; the hard-linked pair never is
        "zeroed": ["b.in", "b.out"],
    },
    "hard links in a task of 52 jobs, slow last job": {
        "body": """
@originate(["p%02d.in" % n for n in range(52)])
def many(o):
    with open(o, "w") as f:
        f.write(o + "\\n")

@transform(many, suffix(".in"), ".out")
def publish_all(i, o):
    log("publish_all", o)
    if i == "p51.in":
        time.sleep(1.3)
    publish(i, o)
"""
        + ONE_PROCESS,
    },
    # files dated ahead of the clock (a file server's clock): Ruffus then starts each later
    # task a second apart, so a rerun finds their outputs newer (fail before the fix)
    "output dated ahead of the clock, a transform after it": {
        "head": HEAD.replace(
            'os.path.basename(o))\n', 'os.path.basename(o))\n    t = time.time() + 0.6\n    os.utime(o, (t, t))\n'
        ),
        "body": """
@transform(make, suffix(".in"), ".out")
def step(i, o):
    log("step", o)
    with open(o, "w") as f:
        f.write(open(i).read())
"""
        + ONE_PROCESS,
    },
    "output dated ahead of the clock, a merge after it": {
        "head": HEAD.replace(
            'os.path.basename(o))\n', 'os.path.basename(o))\n    t = time.time() + 0.6\n    os.utime(o, (t, t))\n'
        ),
        "body": """
@merge(make, "all.out")
def step(i, o):
    log("step", o)
    with open(o, "w") as f:
        f.write("".join(open(n).read() for n in i))
"""
        + ONE_PROCESS,
    },
    # guards
    "relative symbolic link to the input": {
        "body": """
@transform(make, suffix(".in"), ".out")
def step(i, o):
    log("step", o)
    if os.path.lexists(o):
        os.unlink(o)
    os.symlink(os.path.basename(i), o)
"""
        + ONE_PROCESS
    },
    "absolute symbolic link to an old input": {
        "body": """
@transform(["old.in"], suffix(".in"), ".out")
def step(i, o):
    log("step", o)
    if os.path.lexists(o):
        os.unlink(o)
    os.symlink(os.path.abspath(i), o)
"""
        + ONE_PROCESS
    },
    "hard link of an old input (reruns under Ruffus too)": {
        "body": """
@transform(["old.in"], suffix(".in"), ".out")
def step(i, o):
    log("step", o)
    publish(i, o)
"""
        + ONE_PROCESS
    },
    "input a symbolic link to a file touched later": {
        "body": """
if not os.path.lexists("link.in"):
    os.symlink("old.in", "link.in")

@transform(["link.in"], suffix(".in"), ".out")
def step(i, o):
    log("step", o)
    with open(o, "w") as f:
        f.write(open(i).read())
"""
        + ONE_PROCESS,
        "between": lambda work: os.utime(work / "old.in"),
    },
    "a directory as output, a file added to it later": {
        "body": """
@transform(make, suffix(".in"), ".dir")
def step(i, o):
    log("step", o)
    os.makedirs(o, exist_ok=True)
    with open(os.path.join(o, "part"), "w") as f:
        f.write(open(i).read())
"""
        + ONE_PROCESS,
        "between": lambda work: (time.sleep(1.2), (work / "a.dir" / "more").write_text("more\n")),
    },
    "a flag made by touch_file, touched again": {
        "body": """
@posttask(touch_file("flag.done"))
@follows(make)
@originate(["c.in"])
def flagged(o):
    log("flagged", o)
    with open(o, "w") as f:
        f.write("c\\n")

@follows(flagged)
@transform(["flag.done"], suffix(".done"), ".out")
def after(i, o):
    log("after", o)
    with open(o, "w") as f:
        f.write("after\\n")
"""
        + ONE_PROCESS,
        "between": lambda work: (time.sleep(0.05), os.utime(work / "flag.done")),
    },
    "input touched into the future": {
        "body": """
@transform(make, suffix(".in"), ".out")
def step(i, o):
    log("step", o)
    with open(o, "w") as f:
        f.write(open(i).read())
"""
        + ONE_PROCESS,
        "between": lambda work: os.utime(work / "a.in", (os.path.getmtime(work / "a.in") + 3600,) * 2),
    },
}


def three_runs(impl: str, work: Path, script: str, case: dict) -> list[list[str]]:
    """The jobs each of three runs ran (sorted); ``between`` runs after the first."""
    ran = []
    for n in range(3):
        done = run(impl, work, script, env=case.get("env") if impl == "ruffus_luigi" else None)
        assert done.returncode == 0, "%s run %d:\n%s%s" % (impl, n + 1, done.stdout[-2000:], done.stderr[-3000:])
        log = work / "ran.log"
        ran.append(sorted(log.read_text().splitlines()) if log.exists() else [])
        if log.exists():
            log.unlink()
        if n == 0 and "between" in case:
            case["between"](work)
    return ran


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", list(CASES))
def test_reruns_match_ruffus(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    script = case.get("head", HEAD) + case["body"]
    work = tmp_path / "work"
    ran, files = {}, {}
    for impl in IMPLEMENTATIONS:
        work.mkdir()
        try:
            ran[impl] = three_runs(impl, work, script, case)
            files[impl] = tree(work)
        finally:
            work.rename(tmp_path / impl)
    assert ran["ruffus_luigi"] == ran["ruffus"], "jobs run (first run, rerun, the one after) differ"
    for name in case.get("zeroed", []):
        assert files["ruffus_luigi"][name] == ""
        files["ruffus_luigi"][name] = files["ruffus"][name]
    assert files["ruffus_luigi"] == files["ruffus"]
