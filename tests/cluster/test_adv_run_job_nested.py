"""CGAT's idiom on a real cluster: task functions that call ``drmaa_wrapper.run_job``.

On a cluster back end each task function runs as a cluster job. Had its ``run_job``
command gone to the cluster as a second job, with more outer jobs in flight than the
cluster has slots the outer jobs would hold every slot and the commands would wait for
ever (one-node Slurm, 2 CPUs: ``multiprocess=6``; one-host Grid Engine, 4 slots:
``multiprocess=8``). The commands run inside their outer jobs instead: the run ends, every
file is right, each command ran in its own outer cluster job, dropped ``job_other_options``
are reported once for the task, and a failing command is Ruffus' ``error_drmaa_job``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIM = str(REPO / "ruffus_luigi" / "shim")
BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
JOB_ID_VARIABLE = {"sge": "JOB_ID", "slurm": "SLURM_JOB_ID"}
IN_FLIGHT = {"sge": 8, "slurm": 6}  # above the cluster's slots: 4 and 2
SAMPLES = 12
RUN_TIMEOUT = 240.0

PIPELINE = textwrap.dedent(
    """
    import os, sys
    from ruffus import merge, pipeline_run, suffix, transform
    from ruffus.drmaa_wrapper import run_job

    drmaa_session = None  # a Ruffus script makes it under __main__: it is not there on a node
    SAMPLES = ["sample%02d.in" % i for i in range(12)]


    @transform(SAMPLES, suffix(".in"), ".count")
    def count(infile, outfile):
        fail = "exit 3" if infile == os.environ.get("FAIL_ON") else "true"
        stdout, stderr = run_job(
            "sleep 1; wc -c < %s; echo inner=$%s; echo to-stderr >&2; %s" % (infile, os.environ["JOB_VAR"], fail),
            job_name=os.environ["INNER_NAME"],
            job_other_options="-l h_rt=0:05:00",
            job_script_directory=os.path.join(os.getcwd(), "scripts"),
            working_directory=os.getcwd(),
            drmaa_session=drmaa_session,
            run_locally=False,
        )
        outer = os.environ.get(os.environ["JOB_VAR"], "")
        with open(outfile, "w") as f:
            f.write("".join(stdout) + "outer=%s\\n" % outer + "".join(stderr))


    @merge(count, "total.txt")
    def total(infiles, outfile):
        with open(outfile, "w") as f:
            f.write("%d\\n" % sum(int(open(i).readline()) for i in infiles))


    if __name__ == "__main__":
        pipeline_run([total], multiprocess=int(sys.argv[1]), verbose=1)
    """
)


def cancel_inner(cluster, name: str) -> None:
    """Cancel any command job the run submitted (only the old, nesting code made some)."""
    if cluster.name == "sge":
        cluster.run(["qdel", name])
    else:
        cluster.run(["scancel", "--name", name])


def run_pipeline(cluster, workdir: Path, inner_name: str, **extra: str) -> tuple[int, str, float]:
    """Run the pipeline to its end: exit code, output, wall time. A run that hangs is stopped
    the way a user stops it (SIGTERM: the run cancels its cluster jobs) and fails the test."""
    env = {k: v for k, v in cluster.env.items() if not k.startswith("RUFFUS_LUIGI_")}
    env.update(
        PYTHONPATH=os.pathsep.join([SHIM, str(REPO)]),
        RUFFUS_LUIGI_BACKEND=BACKENDS[cluster.name],
        JOB_VAR=JOB_ID_VARIABLE[cluster.name],
        INNER_NAME=inner_name,
        **extra,
    )
    out_path = workdir.parent / (workdir.name + ".out")
    started = time.monotonic()
    with open(out_path, "w+") as out:
        proc = subprocess.Popen(
            [sys.executable, "pipeline.py", str(IN_FLIGHT[cluster.name])],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
        )
        try:
            proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.terminate()  # the driver cancels its cluster jobs
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
            out.seek(0)
            raise AssertionError(
                "the run hung (%s jobs in flight on %s):\n%s"
                % (IN_FLIGHT[cluster.name], cluster.name, out.read()[-3000:])
            ) from None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            cancel_inner(cluster, inner_name)
        out.seek(0)
        return proc.returncode, out.read(), time.monotonic() - started


def workdir_for(tmp_path: Path) -> Path:
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "pipeline.py").write_text(PIPELINE)
    for i in range(SAMPLES):
        (workdir / ("sample%02d.in" % i)).write_text("x" * (i + 1))
    return workdir


@pytest.mark.timeout(600)
@pytest.mark.held("run_job: no nested deadlock", "adversarial")
def test_run_job_in_cluster_jobs_above_the_slot_count_ends(cluster, tmp_path):
    workdir = workdir_for(tmp_path)
    inner_name = "rjnested_" + uuid.uuid4().hex[:8]
    code, output, seconds = run_pipeline(cluster, workdir, inner_name)
    print("%s: %d run_job tasks, %d in flight, %.1f s" % (cluster.name, SAMPLES, IN_FLIGHT[cluster.name], seconds))
    assert code == 0, output
    assert (workdir / "total.txt").read_text() == "%d\n" % sum(range(1, SAMPLES + 1))
    outers = set()
    for i in range(SAMPLES):
        lines = (workdir / ("sample%02d.count" % i)).read_text().splitlines()
        assert lines[0] == str(i + 1) and lines[-1] == "to-stderr", lines  # run_job's stdout and stderr lines
        inner, outer = lines[1].removeprefix("inner="), lines[2].removeprefix("outer=")
        assert outer.isdigit() and inner == outer, "the command must run inside its task's cluster job: %s" % lines
        outers.add(outer)
    assert len(outers) == SAMPLES, "each job is a cluster job of its own"
    assert not list((workdir / "scripts").iterdir()), "run_job's job scripts are removed, as in Ruffus"
    warnings = [line for line in output.splitlines() if "did not request their job_other_options" in line]
    assert len(warnings) == 1 and "'-l h_rt=0:05:00'" in warnings[0] and "count" in warnings[0], output


@pytest.mark.timeout(600)
@pytest.mark.held("run_job: no nested deadlock", "adversarial")
def test_failing_run_job_command_in_a_cluster_job_is_ruffus_error(cluster, tmp_path):
    workdir = workdir_for(tmp_path)
    inner_name = "rjnested_" + uuid.uuid4().hex[:8]
    code, output, _ = run_pipeline(cluster, workdir, inner_name, FAIL_ON="sample05.in")
    assert code != 0, output
    assert "error_drmaa_job" in output, output
    assert "The %s command exited with status 3" % BACKENDS[cluster.name] in output, output
    assert "The original command was: >> sleep 1; wc -c < sample05.in;" in output, output
    assert not (workdir / "sample05.count").exists() and not (workdir / "total.txt").exists()
