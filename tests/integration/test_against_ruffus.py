"""Differential end-to-end tests: the same script under real Ruffus 3.0.0 and ruffus-luigi.

Each implementation runs in its own subprocess and directory; real Ruffus is only
the reference and never shares a process with ruffus-luigi.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PIPELINES = REPO / "tests" / "pipelines"
SCRIPTS = sorted(p.name for p in PIPELINES.glob("*.py"))


def run(impl: str, workdir: Path, script: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if impl == "ruffus_luigi":
        environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    environ.update(env or {})
    shutil.copy(PIPELINES / script, workdir / script)
    done = subprocess.run(
        [sys.executable, script, *args], cwd=workdir, env=environ, capture_output=True, text=True, timeout=300
    )
    return done


def files(workdir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(workdir)): p.read_bytes()
        for p in sorted(workdir.rglob("*"))
        if p.is_file() and not p.name.endswith((".py", ".sqlite"))
    }


def both(tmp_path: Path, script: str, *args: str, env: dict | None = None):
    """Run under each implementation in turn, in the same absolute directory."""
    out = []
    work = tmp_path / "work"
    for impl in ("ruffus", "ruffus_luigi"):
        (tmp_path / impl).mkdir(exist_ok=True)
        (tmp_path / impl).rename(work)
        try:
            out.append(run(impl, work, script, *args, env=env))
        finally:
            work.rename(tmp_path / impl)
    return out


LINEAR = {"chain_collate_split.py"}


def same_printout(ours: str, ref: str, script: str) -> bool:
    """Identical text; for branching pipelines the order of task blocks may differ.

    Ruffus starts its depth-first search from a Python ``set`` of tasks, so the order in
    which it lists independent branches depends on object addresses and varies between
    runs of Ruffus itself; each task's block must still be identical.
    """
    if script in LINEAR:
        return ours == ref

    def blocks(text: str) -> list[str]:
        parts = re.split(r"(?m)^(?=Task = )", text)
        return sorted(parts)

    return blocks(ours) == blocks(ref)


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("verbose", ["1", "2", "3", "4", "5", "6"])
def test_printout_before_any_run_is_identical(tmp_path: Path, script: str, verbose: str) -> None:
    ref, ours = both(tmp_path, script, verbose)
    assert ref.returncode == 0, ref.stderr
    assert same_printout(ours.stdout, ref.stdout, script), ours.stdout
    assert ours.returncode == 0


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("mp", ["1", "4"])
def test_run_produces_identical_files_then_reruns_nothing(tmp_path: Path, script: str, mp: str) -> None:
    ref, ours = both(tmp_path, script, "3", "run", env={"MP": mp})
    assert ref.returncode == 0 and ours.returncode == 0, ours.stderr
    assert files(tmp_path / "ruffus_luigi") == files(tmp_path / "ruffus")
    # the same log lines; their interleaving across tasks that are ready together is a
    # scheduling detail (Ruffus' own order varies with multiprocess)
    assert sorted(ours.stderr.splitlines()) == sorted(ref.stderr.splitlines())
    if mp == "1" and script == "chain_collate_split.py":
        assert ours.stderr == ref.stderr
    # a no-op rerun: nothing left to run, and the same printout as Ruffus gives
    ref2, ours2 = both(tmp_path, script, "6", "run")
    assert "completed" not in ours2.stderr
    assert same_printout(ours2.stdout, ref2.stdout, script)


@pytest.mark.parametrize("script", SCRIPTS)
def test_touching_one_input_reruns_the_jobs_ruffus_reruns(tmp_path: Path, script: str) -> None:
    both(tmp_path, script, "3", "run")
    time.sleep(1.1)
    for impl in ("ruffus", "ruffus_luigi"):
        first = sorted(p for p in (tmp_path / impl).iterdir() if p.suffix in (".start", ".in"))[0]
        first.touch()
    ref, ours = both(tmp_path, script, "3", "run")
    ran = lambda text: sorted(line for line in text.splitlines() if line.endswith(" completed"))  # noqa: E731
    assert ran(ref.stderr)
    assert ran(ours.stderr) == ran(ref.stderr)
    assert files(tmp_path / "ruffus_luigi") == files(tmp_path / "ruffus")


FAILING = """
from ruffus import *
import sys
@originate(["a.txt", "b.txt"])
def make(o):
    if o == "b.txt":
        raise ValueError("cannot make " + o)
    open(o, "w").write(o)
@transform(make, suffix(".txt"), ".out")
def after(i, o):
    open(o, "w").write(i)
try:
    pipeline_run(verbose=0)
except ruffus.ruffus_exceptions.RethrownJobError as e:
    print(sorted((t, j, n, v) for t, j, n, v, s in e.job_exceptions))
    print(sorted(__import__("os").listdir(".")))
"""


def test_job_failure_raises_rethrown_job_error_with_the_failed_job(tmp_path: Path) -> None:
    (tmp_path / "fail.py").write_text(FAILING.replace("from ruffus import *", "import ruffus\nfrom ruffus import *"))
    results = []
    for impl in ("ruffus", "ruffus_luigi"):
        d = tmp_path / impl
        d.mkdir()
        shutil.copy(tmp_path / "fail.py", d / "fail.py")
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if impl == "ruffus_luigi":
            environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
        results.append(subprocess.run([sys.executable, "fail.py"], cwd=d, env=environ, capture_output=True, text=True, timeout=120))
    ref, ours = results
    assert "('make', 'Job  = [None -> b.txt]', 'builtins.ValueError', '(cannot make b.txt)')" in ref.stdout
    assert ours.stdout.splitlines()[0] == ref.stdout.splitlines()[0]
    assert "'a.txt'" in ours.stdout and "'b.txt'" not in ours.stdout
