"""Grouped cluster jobs (``job_group_size``) on Grid Engine (drmaa) and Slurm: one job of a
group failing, killed or cut short is the only one run again, and a run killed while a group
runs leaves no cluster job behind.

Each Ruffus job of a group keeps its own exit code, logs, result, retries (``retry_count``)
and lost-job resubmission; its id is ``<cluster job id>+<n>``, which the next run of a
killed one must map back to the cluster job to cancel it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from checkpoint_kit import (  # noqa: E402
    check_interrupted,
    check_rerun,
    environment,
    finish,
    log_lines,
    reference,
    start,
    wait_for,
    wait_half_written,
    workdir_in,
)

BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
REPO = Path(__file__).resolve().parents[2]
SHIM = str(REPO / "ruffus_luigi" / "shim")


# ------------------------------------------------------- one job of a group, and only it

PIPELINE = textwrap.dedent(
    """
    import os, signal, sys
    from ruffus import originate, pipeline_run

    def log(out):
        job_id = os.environ.get("JOB_ID") or os.environ.get("SLURM_JOB_ID") or "-"
        with open("runs.log", "a") as f:
            f.write("%s %s %d\\n" % (out, job_id, os.getpid()))

    @originate(["f%d.txt" % i for i in range(6)])
    def make(out):
        log(out)
        if out == "f3.txt" and not os.path.exists("f3.once"):
            open("f3.once", "w").close()
            how = os.environ["HOW"]
            if how == "raise":
                raise ValueError("f3 fails once")
            if how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            if how == "runner-killed":  # what runs the job dies with it: the group is cut short
                os.kill(os.getppid(), signal.SIGKILL)
                os.kill(os.getpid(), signal.SIGKILL)
        with open(out, "w") as f:
            f.write(out)

    if __name__ == "__main__":
        pipeline_run(multiprocess=1, verbose=1)
    """
)


def run_pipeline(cluster, workdir: Path, **extra: str) -> subprocess.CompletedProcess:
    """The pipeline on the cluster, its six jobs one Luigi task (a task of up to 50 jobs has a
    Luigi task per job unless told otherwise), so one group, one cluster job."""
    extra = {"RUFFUS_LUIGI_BACKEND": BACKENDS[cluster.name], "RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK": "6", **extra}
    env = environment(extra, base=cluster.env)
    env["PYTHONPATH"] = os.pathsep.join([SHIM, env["PYTHONPATH"]])
    return subprocess.run(
        [sys.executable, "pipeline.py"], cwd=workdir, env=env, capture_output=True, text=True, timeout=400
    )


def runs(workdir: Path) -> list[tuple[str, str]]:
    return [tuple(line.split()[:2]) for line in (workdir / "runs.log").read_text().splitlines()]  # type: ignore[misc]


@pytest.mark.timeout(600)
@pytest.mark.held("grouped cluster jobs", "adversarial")
@pytest.mark.parametrize("how", ["raise", "killed", "runner-killed"])
def test_only_the_job_of_a_group_that_failed_runs_again(cluster, how, tmp_path):
    """Six jobs in one group (multiprocess=1, job_group_size 20); f3 fails once (raises, is
    killed, or kills the group's runner, which cuts the group short: f4 and f5 never start and
    are resubmitted as lost). With retry_count=2 the run succeeds, and every job's function
    ran once, but f3's twice; the first six attempts shared one cluster job."""
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    done = run_pipeline(cluster, tmp_path, HOW=how, RUFFUS_LUIGI_RETRY_COUNT="2", RUFFUS_LUIGI_RETRY_DELAY="0")
    assert done.returncode == 0, done.stdout + done.stderr
    ran = runs(tmp_path)
    assert Counter(name for name, _ in ran) == Counter({"f%d.txt" % i: 1 for i in range(6)} | {"f3.txt": 2}), ran
    first = {job_id for name, job_id in ran[:4]}  # f0..f3 started in the first cluster job
    assert len(first) == 1 and first != {"-"}, ran
    retried = [job_id for name, job_id in ran[4:] if name == "f3.txt"]
    assert retried and retried[0] not in first, ran  # f3 again, in a cluster job of its own
    if how == "runner-killed":  # f4 and f5 never started in the first: resubmitted, not failed
        assert {job_id for name, job_id in ran if name in ("f4.txt", "f5.txt")} & first == set(), ran
        assert "lost job" in done.stderr, done.stderr
    assert all((tmp_path / ("f%d.txt" % i)).read_text() == "f%d.txt" % i for i in range(6))
    left = [p.name for p in (tmp_path / ".ruffus_luigi").rglob("*.stdout")]
    # (only the logs of the cluster job that died stay, for reading: they may say why)
    assert [n.split("-")[0] for n in left] == (["make.0.group6"] if how == "runner-killed" else []), left
    again = run_pipeline(cluster, tmp_path, HOW=how)
    assert again.returncode == 0 and len(runs(tmp_path)) == len(ran), again.stderr


@pytest.mark.timeout(600)
@pytest.mark.held("grouped cluster jobs", "adversarial")
def test_failing_job_of_a_group_fails_alone_and_is_reported(cluster, tmp_path):
    """Without retries f3's error is the run's error, naming its job; the five others are done."""
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    done = run_pipeline(cluster, tmp_path, HOW="raise")
    assert done.returncode != 0
    assert "f3 fails once" in done.stderr and "Job  = [None -> f3.txt]" in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.glob("f?.txt")) == ["f%d.txt" % i for i in (0, 1, 2, 4, 5)]
    assert len({job_id for _, job_id in runs(tmp_path)}) == 1, runs(tmp_path)  # one cluster job ran the six


# ---------------------------------------------------------- a run killed while a group runs

HELD = "end s0.end"


@pytest.mark.timeout(600)
@pytest.mark.held("killed driver", "adversarial")
@pytest.mark.parametrize("how", ["SIGKILL-driver", "SIGKILL-whole-run"])
def test_run_killed_while_a_group_runs_leaves_no_cluster_job(cluster, how, tmp_path, tmp_path_factory):
    """s0.end and s1.end are one group, one cluster job (two jobs per Luigi task), s2.end another
    (multiprocess=2: held too, so that nothing else is under way; multiprocess=1, a single
    process, for the whole run killed: after them). s0.end is held half-way, s1.end waits
    inside the group, when the run is killed: by its workers (driver killed) or by the next run
    (whole run killed: the record lists the jobs as ``<id>+<n>``), the group's cluster job is
    cancelled and dropped; the rerun does exactly what is left."""
    strategy = "history"
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    backend = {"RUFFUS_LUIGI_BACKEND": BACKENDS[cluster.name], "RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK": "2"}
    jobs, held = (1, [HELD]) if how == "SIGKILL-whole-run" else (2, [HELD, "end s2.end"])
    hold = ",".join(job.split()[1] for job in held)
    proc = start(workdir, strategy, {**backend, "HOLD": hold}, jobs=jobs, base=cluster.env)
    rerun = None
    try:
        job_id = wait_half_written(workdir, held, timeout=180)[HELD][1]
        assert job_id.isdigit(), job_id
        assert "end s1.end" not in {job for _, job, _, _ in log_lines(workdir)}, "s1.end runs after s0.end, in its group"
        record = "".join(p.read_text() for p in (workdir / ".ruffus_luigi" / "submitted").glob("*"))
        assert "%s+1\n" % job_id in record, record  # s1.end is job 1 of s0.end's cluster job
        os.killpg(proc.pid, signal.SIGKILL) if how == "SIGKILL-whole-run" else os.kill(proc.pid, signal.SIGKILL)
        rc, out = finish(proc, timeout=60)
        assert rc == -signal.SIGKILL, out
        if how == "SIGKILL-driver":
            wait_for(lambda: not cluster.queued([job_id]), "the workers to cancel group %s" % job_id, timeout=60)
            check_interrupted(workdir, strategy, set(held))
            check_rerun(workdir, strategy, expected, set(held), backend, base=cluster.env)
            return
        time.sleep(2)
        assert cluster.queued([job_id]) == [job_id], "the group of a run killed whole must still be there"
        since = len(log_lines(workdir))
        rerun = start(workdir, strategy, backend, jobs=jobs, base=cluster.env)
        rerun_out = Path(rerun.out_file.name)  # type: ignore[attr-defined]
        wait_for(lambda: "cancelling" in rerun_out.read_text(), "the rerun to cancel the group left", timeout=60)
        text = rerun_out.read_text()
        assert "%s+0" % job_id in text, text  # the member ids, mapped back to the cluster job
        wait_for(lambda: "Tasks which will be run" in rerun_out.read_text(), "the rerun to go on", timeout=90)
        assert not cluster.queued([job_id]), "the rerun went on before the cluster dropped the group"
        check_interrupted(workdir, strategy, {HELD})
        check_rerun(workdir, strategy, expected, {HELD}, backend, base=cluster.env, started=(rerun, since))
        assert not list((workdir / ".ruffus_luigi" / "submitted").glob("*")), "the record of cluster jobs stays"
    finally:
        for p in (proc, rerun):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
