"""Early start keeps Ruffus' check that a job's inputs exist.

Ruffus makes a task's jobs once its parent task is done and stops with
``MissingInputFileError`` at the first job whose input is missing: a parent job can succeed
without writing an output it declared. A ``@transform`` that starts early (before its parent
finished) used to skip that check: the downstream job ran and the run could exit 0. Each
case runs under Ruffus 3.0.0 and under ruffus-luigi (multiprocess 1 and 3, local scheduler
and luigid): the run must fail with Ruffus' error text (tracebacks aside: they name source
files), and the job whose input is missing must not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import os
import sys
import time

from ruffus import *

try:  # Ruffus waits 50 s for a missing input to appear (slow shared file systems): not here
    import ruffus.file_name_parameters as _names
    _names.FILE_CHECK_SLEEP = 0
except ImportError:
    pass
try:
    import ruffus_luigi.execution.job as _execute
    _execute.FILE_CHECK_SLEEP = 0
except ImportError:
    pass

CASE = os.environ["CASE"]


def log(what):
    fd = os.open("jobs.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, (what + "\n").encode())
    os.close(fd)


def write(name, text):
    with open(name, "w") as f:
        f.write(text)


@originate(["a%d.1" % i for i in range(4)])
def make(o):
    log("make " + o)
    if CASE == "originate" and o == "a2.1":
        return  # declared, never written
    write(o, o + "\n")


@transform(make, suffix(".1"), [".2", ".log"])
def step(i, o):
    log("step " + o[0])
    write(o[1], "log\n")
    if CASE == "two_missing" and o[0] in ("a1.2", "a3.2"):
        if o[0] == "a1.2":
            time.sleep(1)  # the later job finds its input missing first: the error names the earlier
        return
    if o[0] == "a1.2":
        if CASE == "transform":
            return
        if CASE == "deleted":
            write(o[0], "soon gone\n")
            os.unlink(o[0])
            return
        if CASE == "dangling":
            os.symlink("nowhere." + o[0], o[0])
            return
        if CASE == "second_output":
            write(o[0], "ok\n")
            os.unlink(o[1])
            return
    write(o[0], open(i).read() + "step\n")


@transform(step, suffix(".2"), ".3")
def more(i, o):
    log("more " + o)
    write(o, "".join(open(f).read() for f in i))


@split(more, ["b0.split", "b1.split", "b2.split"])
def cut(i, o):
    log("cut")
    for name in o:
        if not (CASE == "split" and name == "b1.split"):
            write(name, name + "\n")


@transform(cut, suffix(".split"), ".piece")
def piece(i, o):
    log("piece " + o)
    write(o, open(i).read())


if __name__ == "__main__":
    try:
        pipeline_run(verbose=1, multiprocess=int(sys.argv[1]))
    except Exception as e:
        with open("error.txt", "w") as f:
            f.write("%s: %s" % (type(e).__name__, e))
        raise
'''

# case -> the jobs that must not run (an input is missing)
CASES = {
    "transform": ["more a1.3"],  # a @transform parent's job succeeds without writing its output
    "originate": ["step a2.2"],  # an @originate job skips one of its outputs
    "deleted": ["more a1.3"],  # the parent job wrote its output, then deleted it
    "dangling": ["more a1.3"],  # the parent job's output is a symbolic link to nothing
    "second_output": ["more a1.3"],  # the second of two outputs is missing
    "two_missing": ["more a1.3", "more a3.3"],  # the later one is found first; Ruffus names the earlier
    "split": ["piece b1.piece"],  # a @split leaves one of its declared outputs unwritten (no early start)
}


def without_tracebacks(error: str) -> str:
    """The error's text without its tracebacks (from ``Traceback (most recent call last):``
    through the lines indented as much or more, up to the next ``Exception #N``)."""
    kept, skipping = [], None
    for line in error.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.strip() == "Traceback (most recent call last):":
            if skipping is None or indent < skipping:
                skipping = indent
            continue
        if skipping is not None:
            if not line.strip() or indent > skipping or (
                indent == skipping and not re.fullmatch(r"Exception #\d+", line.strip())
            ):
                continue
            skipping = None
        kept.append(line)
    return "\n".join(kept)


def run(workdir: Path, case: str, mp: int, impl: str, scheduler_url: str | None = None) -> subprocess.CompletedProcess:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / "p.py").write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_") and k != "PYTHONPATH"}
    env["CASE"] = case
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
        if scheduler_url:
            env["RUFFUS_LUIGI_SCHEDULER_URL"] = scheduler_url
    return subprocess.run(
        [sys.executable, "p.py", str(mp)], cwd=workdir, env=env, capture_output=True, text=True, timeout=150
    )


@pytest.fixture(scope="module")
def ruffus_errors(tmp_path_factory):
    """Ruffus 3.0.0's error text for each case (and that it did not run the job either)."""
    texts = {}
    for case, jobs in CASES.items():
        work = tmp_path_factory.mktemp("ruffus_" + case)
        done = run(work, case, 1, "ruffus")
        assert done.returncode != 0, done.stderr
        assert not set(jobs) & set((work / "jobs.log").read_text().splitlines())
        texts[case] = without_tracebacks((work / "error.txt").read_text())
        assert "MissingInputFileError" in texts[case]
    return texts


@pytest.mark.timeout(400)
@pytest.mark.held("early start: missing input", "adversarial")
@pytest.mark.parametrize("where", ["local", "luigid"])
@pytest.mark.parametrize("mp", [1, 3])
def test_a_job_whose_input_was_not_made_does_not_run_and_the_run_fails_as_under_ruffus(
    ruffus_errors, tmp_path, mp, where, request
):
    url = request.getfixturevalue("luigid").url if where == "luigid" else None
    for case, jobs in CASES.items():
        work = tmp_path / case
        done = run(work, case, mp, "ruffus_luigi", url)
        assert done.returncode != 0, "%s: the run exited 0\n%s" % (case, done.stderr[-3000:])
        ran = (work / "jobs.log").read_text().splitlines()
        for job in jobs:
            assert job not in ran, "%s: %r ran although its input is missing" % (case, job)
            assert not (work / job.split()[1]).exists()
        assert (work / "error.txt").exists(), "%s: %s" % (case, done.stderr[-3000:])
        ours = without_tracebacks((work / "error.txt").read_text())
        assert ours == ruffus_errors[case], case
