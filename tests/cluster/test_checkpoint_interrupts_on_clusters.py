"""A cluster job killed by the cluster (qdel on Grid Engine, scancel on Slurm) in the middle of writing.

The cluster half of tests/integration/test_checkpoint_interrupts.py (same pipeline, same
checks, through tests/integration/checkpoint_kit.py): the pipeline's jobs run as cluster
jobs (back ends drmaa and slurm); the job writing s1/s1.mid is killed half-way by the
cluster's own command. The run must fail naming that job, no job may read the half-written
file, and a rerun must run exactly the jobs left (each once) and end byte-identical to an
uninterrupted run (the local one: the back end does not change what jobs write).

(Not named test_checkpoint_interrupts.py: without __init__.py files, pytest cannot collect
two test modules of the same name.)
"""

from __future__ import annotations

import sys
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
    wait_half_written,
    workdir_in,
)

BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
KILL = {"sge": "qdel", "slurm": "scancel"}


@pytest.fixture(params=["sge", "slurm"])
def cluster(request):
    return request.getfixturevalue(request.param)


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
