"""A cluster run against luigid killed whole, its driver not reaped yet: the rerun cancels first.

Grid Engine (back end drmaa) and Slurm (back end slurm), the pipeline of
tests/pipelines/scenarios/checkpoint_chain.py with its first task's two cluster jobs held
half-way, through a luigid. The run is killed with SIGKILL, driver and workers, and its
parent has not waited for the driver yet (a zombie): nothing of the run can cancel its
cluster jobs. The rerun, started at once, takes the dead run's chunks over in luigid
(tests/adversarial/test_adv_luigid_rerun_after_kill.py); it must first cancel the cluster
jobs that run left, as it does for a run it finds gone. Before, a zombie driver counted as
a live run sharing luigid, whose cluster jobs are its own: they were left running while the
rerun submitted the same jobs again.
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
    check_interrupted,
    check_rerun,
    log_lines,
    reference,
    start,
    wait_for,
    wait_half_written,
    workdir_in,
)

BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
HELD = ["make s0.start", "make s1.start"]


def zombie(pid: int) -> bool:
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rpartition(")")[2].split()[0] == "Z"


@pytest.mark.timeout(600)
@pytest.mark.held("killed run under luigid", "adversarial")
def test_cluster_run_killed_whole_under_luigid_rerun_cancels_its_jobs_then_does_what_is_left(
    cluster, luigid, tmp_path, tmp_path_factory
):
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(tmp_path)
    env = {"RUFFUS_LUIGI_BACKEND": BACKENDS[cluster.name], "RUFFUS_LUIGI_SCHEDULER_URL": luigid.url}
    proc = start(workdir, "history", {**env, "HOLD": "s0.start,s1.start"}, base=cluster.env)
    rerun = None
    try:
        ids = [job_id for _, job_id in wait_half_written(workdir, HELD, timeout=180).values()]
        assert all(i.isdigit() for i in ids), "the jobs must run as cluster jobs: %s" % ids
        os.killpg(proc.pid, signal.SIGKILL)
        wait_for(lambda: zombie(proc.pid), "the killed driver to be a zombie", 15)  # (reaped in finally)
        time.sleep(1)
        assert sorted(cluster.queued(ids)) == sorted(ids), "the jobs of a run killed whole must still be there"
        since = len(log_lines(workdir))
        rerun = start(workdir, "history", env, base=cluster.env)
        rerun_out = Path(rerun.out_file.name)  # type: ignore[attr-defined]
        wait_for(lambda: "cancelling" in rerun_out.read_text(), "the rerun to cancel the jobs left", timeout=60)
        assert all(i in rerun_out.read_text() for i in ids), rerun_out.read_text()
        wait_for(lambda: "Tasks which will be run" in rerun_out.read_text(), "the rerun to go on", timeout=90)
        assert not cluster.queued(ids), "the rerun went on before the cluster dropped the jobs left"
        check_interrupted(workdir, "history", set(HELD))
        check_rerun(workdir, "history", expected, set(HELD), env, base=cluster.env, started=(rerun, since))
    finally:
        for p in (proc, rerun):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
