"""Interrupted runs whose jobs are cluster jobs (back ends drmaa on Grid Engine, slurm on Slurm).

The cluster half of tests/integration/test_checkpoint_interrupts.py (same pipeline, same
checks, through tests/integration/checkpoint_kit.py), for each strategy:

- the job writing s1/s1.mid killed half-way by the cluster's own command (qdel, scancel):
  the run must fail naming that job;
- Ctrl-C to the whole run while two cluster jobs write: the run ends within seconds and
  cancels them, so they never finish.

No job may read a half-written file, and a rerun must run exactly the jobs left (each once)
and end byte-identical to an uninterrupted run (the local one: the back end does not change
what jobs write).

(Not named test_checkpoint_interrupts.py: without __init__.py files, pytest cannot collect
two test modules of the same name.)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from checkpoint_kit import (  # noqa: E402
    ALL_JOBS,
    STRATEGIES,
    check_interrupted,
    check_rerun,
    finish,
    jobs_with,
    reference,
    start,
    wait_for,
    wait_half_written,
    workdir_in,
)

BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
KILL = {"sge": "qdel", "slurm": "scancel"}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cluster_job_killed_while_writing(cluster, strategy, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)  # a local run: back ends do not change outputs
    workdir = workdir_in(tmp_path)
    backend = {"RUFFUS_LUIGI_BACKEND": BACKENDS[cluster.name]}
    victim = "mid s1.mid"
    proc = start(workdir, strategy, {**backend, "HOLD": "s1.mid"}, base=cluster.env)
    _, job_id = wait_half_written(workdir, [victim], timeout=120)[victim]
    assert job_id.isdigit(), "the job must run as a cluster job: %s" % job_id
    killed = cluster.run([KILL[cluster.name], job_id])
    assert killed.returncode == 0, killed.stdout + killed.stderr
    rc, out = finish(proc, timeout=300)

    assert rc == 1, out
    assert "Job  = [s1/s1.start -> s1/s1.mid]" in out
    # nothing downstream of the killed job ran; whether the other samples got through before
    # the run stopped is timing (the rerun below does exactly what is left either way)
    assert jobs_with(workdir, "done") <= ALL_JOBS - {victim, "end s1.end", "total total.txt"}
    check_interrupted(workdir, strategy, {victim})
    check_rerun(workdir, strategy, expected, {victim}, backend, base=cluster.env)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_ctrl_c_while_two_cluster_jobs_write(cluster, strategy, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    backend = {"RUFFUS_LUIGI_BACKEND": BACKENDS[cluster.name]}
    held = ["end s1.end", "end s2.end"]  # with 2 jobs in flight, nothing else runs meanwhile
    proc = start(workdir, strategy, {**backend, "HOLD": "s1.end,s2.end"}, base=cluster.env)
    ids = [job_id for _, job_id in wait_half_written(workdir, held, timeout=120).values()]
    assert all(i.isdigit() for i in ids), "the jobs must run as cluster jobs: %s" % ids
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    rc, out = finish(proc, timeout=60)

    assert time.monotonic() - t0 < 15, "Ctrl-C took %.1f s" % (time.monotonic() - t0)
    assert rc != 0, out
    # the cancel reaches the jobs a moment later (the cluster signals them asynchronously)
    wait_for(lambda: not cluster.queued(ids), "the cluster to drop jobs %s" % ids, timeout=60, every=0.5)
    time.sleep(1)
    (workdir / "release").touch()  # a job still running would now finish: none may
    time.sleep(2)
    assert not jobs_with(workdir, "done") & set(held), "a held job finished after Ctrl-C"
    (workdir / "release").unlink()
    check_interrupted(workdir, strategy, set(held))
    check_rerun(workdir, strategy, expected, set(held), backend, base=cluster.env)


