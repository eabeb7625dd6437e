"""The driver of a cluster run killed: none of its cluster jobs is left queued or running.

Grid Engine (back end drmaa) and Slurm (back end slurm), the pipeline of
tests/pipelines/scenarios/checkpoint_chain.py with two cluster jobs held half-way:

- SIGTERM to the driver alone (what ``timeout`` does): the run ends within seconds, dying of
  SIGTERM, and has cancelled both jobs (the cluster drops them; released, neither finishes);
- SIGKILL to the driver alone: its workers notice and cancel the jobs;
- SIGKILL to the driver and its workers (nothing of the run can cancel anything): the jobs
  stay; the next run in the directory finds them (``.ruffus_luigi/submitted/``), says so,
  cancels them and waits until the cluster drops them before it runs anything.

Each time a rerun then does exactly what is left and ends byte-identical to an
uninterrupted run.
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
    finish,
    jobs_with,
    log_lines,
    reference,
    start,
    wait_for,
    wait_half_written,
    workdir_in,
)

BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
HELD = ["end s1.end", "end s2.end"]


def no_held_job_finishes(workdir: Path) -> None:
    """Release the held jobs: a copy still running would now finish; none may."""
    (workdir / "release").touch()
    time.sleep(3)
    assert not jobs_with(workdir, "done") & set(HELD), "a held cluster job finished after its run was killed"
    (workdir / "release").unlink()


@pytest.mark.timeout(600)
@pytest.mark.held("killed driver", "adversarial")
@pytest.mark.parametrize("how", ["SIGTERM-driver", "SIGKILL-driver", "SIGKILL-whole-run"])
@pytest.mark.parametrize("strategy", ["history", "atomic"])
def test_cluster_run_killed_leaves_no_cluster_job(cluster, strategy, how, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    backend = {"RUFFUS_LUIGI_BACKEND": BACKENDS[cluster.name]}
    proc = start(workdir, strategy, {**backend, "HOLD": "s1.end,s2.end"}, base=cluster.env)
    rerun = None
    try:
        ids = [job_id for _, job_id in wait_half_written(workdir, HELD, timeout=180).values()]
        assert all(i.isdigit() for i in ids), "the jobs must run as cluster jobs: %s" % ids
        if how == "SIGKILL-whole-run":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGTERM if how == "SIGTERM-driver" else signal.SIGKILL)
        t0 = time.monotonic()
        rc, out = finish(proc, timeout=60)
        assert time.monotonic() - t0 < 20, "the run took %.1f s to end" % (time.monotonic() - t0)
        assert rc == (-signal.SIGTERM if how == "SIGTERM-driver" else -signal.SIGKILL), out

        if how != "SIGKILL-whole-run":
            wait_for(lambda: not cluster.queued(ids), "the cluster to drop jobs %s" % ids, timeout=60, every=0.5)
            time.sleep(1)
            no_held_job_finishes(workdir)
            check_interrupted(workdir, strategy, set(HELD))
            check_rerun(workdir, strategy, expected, set(HELD), backend, base=cluster.env)
            return

        time.sleep(2)
        assert sorted(cluster.queued(ids)) == sorted(ids), "the jobs of a run killed whole must still be there"
        since = len(log_lines(workdir))
        rerun = start(workdir, strategy, backend, base=cluster.env)
        rerun_out = Path(rerun.out_file.name)  # type: ignore[attr-defined]
        wait_for(lambda: "cancelling" in rerun_out.read_text(), "the rerun to cancel the jobs left", timeout=60)
        text = rerun_out.read_text()
        assert all(i in text for i in ids), text
        wait_for(lambda: "Tasks which will be run" in rerun_out.read_text(), "the rerun to go on", timeout=90)
        assert not cluster.queued(ids), "the rerun went on before the cluster dropped the jobs left"
        check_interrupted(workdir, strategy, set(HELD))
        check_rerun(workdir, strategy, expected, set(HELD), backend, base=cluster.env, started=(rerun, since))
        assert not list((workdir / ".ruffus_luigi" / "submitted").glob("*")), "the record of cluster jobs stays"
    finally:
        for p in (proc, rerun):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
