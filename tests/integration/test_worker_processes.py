"""``multiprocess=N``: every job runs in one of N processes kept for the run, as in Ruffus' pool."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import multiprocessing, os, sys
    from ruffus import *

    OPENED = []  # a per-process resource, opened on a process's first job

    def note(output):
        if not OPENED:
            OPENED.append(os.getpid())
            with open("opened.log", "a") as f:
                f.write("%d\\n" % os.getpid())
        with open(output, "w") as f:
            f.write("%d\\n" % os.getpid())

    @originate(["s%02d.a" % i for i in range(12)])
    def make(output):
        note(output)

    @transform(make, suffix(".a"), ".b", lambda x: x)  # a parameter that cannot be pickled
    def unpicklable(input, output, f):
        note(output)

    @transform(make, suffix(".a"), ".c")
    def again(input, output):
        note(output)

    @merge(again, "all.m")
    def total(inputs, output):
        note(output)

    pipeline_run(multiprocess=int(sys.argv[1]), verbose=0)
    print("driver", os.getpid(), "children after the run", len(multiprocessing.active_children()))
    """
)


def run(tmp_path: Path, n: int | None, script: str = SCRIPT) -> subprocess.CompletedProcess:
    (tmp_path / "p.py").write_text(script)
    return subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "p.py", *([str(n)] if n is not None else [])],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=120,
    )


def pids(tmp_path: Path, pattern: str) -> set[int]:
    return {int(p.read_text()) for p in tmp_path.glob(pattern)}


def test_multiprocess_n_runs_the_jobs_in_exactly_n_processes_then_ends_them(tmp_path):
    done = run(tmp_path, 3)
    assert done.returncode == 0, done.stderr
    driver = int(done.stdout.split()[1])
    pooled = pids(tmp_path, "*.a") | pids(tmp_path, "*.c") | pids(tmp_path, "all.m")
    assert len(pooled) == 3 and driver not in pooled
    opened = [int(line) for line in (tmp_path / "opened.log").read_text().split()]
    assert pooled <= set(opened), "each process opens its resource once, on its first job"
    assert "children after the run 0" in done.stdout


def test_jobs_whose_parameters_cannot_be_pickled_still_run_in_their_own_processes(tmp_path):
    done = run(tmp_path, 2)
    assert done.returncode == 0, done.stderr
    driver = int(done.stdout.split()[1])
    pooled = pids(tmp_path, "*.a") | pids(tmp_path, "*.c")
    forked = pids(tmp_path, "*.b")
    assert len(list(tmp_path.glob("*.b"))) == 12
    assert len(pooled) == 2
    assert forked.isdisjoint(pooled) and driver not in forked


KEPT_AFTER_RUN = textwrap.dedent(
    """
    import gc
    from ruffus import *
    from ruffus_luigi.execution.chunks import PlannedJob

    @originate(["k%03d.a" % i for i in range(300)])
    def make(output):
        open(output, "w").close()

    @transform(make, suffix(".a"), ".b")
    def copy(input, output):
        open(output, "w").close()

    for _ in range(2):
        pipeline_run(multiprocess=2, verbose=0, forcedtorun_tasks=[make])
        print("jobs still in memory", sum(isinstance(o, PlannedJob) for o in gc.get_objects()))
    """
)


def test_a_finished_run_keeps_none_of_its_jobs_in_memory(tmp_path):
    # Luigi's SIGUSR1 handler keeps the last worker alive, and with it its worker processes' pool
    done = run(tmp_path, None, KEPT_AFTER_RUN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["jobs still in memory 0"] * 2
    assert len(list(tmp_path.glob("*.b"))) == 300
