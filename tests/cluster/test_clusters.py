"""Real jobs on the real clusters of conftest.py: output files and exit codes as each reports them.

Grid Engine through qsub + qstat/qacct and through the ``drmaa`` package (installed with the
plugin ruffus-luigi-drmaa); Slurm through
sbatch + squeue/scontrol/sacct -c. Each runs a job that writes a known line and one that
exits 3, which must be reported as exit status 3.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

TIMEOUT = 120  # seconds for a trivial job; they take about 1 s


def wait_until(predicate, timeout: float = TIMEOUT, what: str = "condition"):
    """Poll ``predicate`` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def write_job(directory: Path, name: str, body: str) -> Path:
    script = directory / f"{name}.sh"
    script.write_text("#!/bin/bash\n" + body + "\n")
    script.chmod(0o755)
    return script


# ------------------------------------------------------------------------------ Grid Engine


def qsub(sge, work: Path, name: str, body: str, *options: str) -> subprocess.CompletedProcess:
    script = write_job(work, name, body)
    # Always a working directory and output paths (the defaults are $HOME).
    return sge.run(
        ["qsub", "-terse", *options, "-N", name, "-S", "/bin/bash", "-wd", str(work),
         "-o", str(work / f"{name}.out"), "-e", str(work / f"{name}.err"), str(script)],
        cwd=work,
    )


def qacct(sge, job_id: str) -> dict[str, str]:
    """The accounting record of a finished job (polled: it is written as the job ends)."""

    def record():
        done = sge.run(["qacct", "-j", job_id])
        if done.returncode != 0:
            return None
        return dict(
            line.split(None, 1) for line in done.stdout.splitlines() if len(line.split()) > 1
        )

    return wait_until(record, what=f"qacct -j {job_id}")


def test_sge_qsub_output_and_exit_codes(sge, tmp_path):
    ok = qsub(sge, tmp_path, "hello", 'echo "hello from job $JOB_ID"')
    three = qsub(sge, tmp_path, "three", 'echo "about to fail"; exit 3')
    assert ok.returncode == 0, ok.stderr
    assert three.returncode == 0, three.stderr
    ok_id, three_id = ok.stdout.strip(), three.stdout.strip()
    assert ok_id.isdigit() and three_id.isdigit(), (ok.stdout, three.stdout)

    # Both leave qstat once finished.
    wait_until(lambda: sge.run(["qstat", "-j", f"{ok_id},{three_id}"]).returncode != 0,
               what="jobs to leave qstat")
    ok_acct, three_acct = qacct(sge, ok_id), qacct(sge, three_id)
    assert (ok_acct["failed"].strip(), ok_acct["exit_status"].strip()) == ("0", "0")
    assert (three_acct["failed"].strip(), three_acct["exit_status"].strip()) == ("0", "3")
    assert ok_acct["jobname"].strip() == "hello"

    assert (tmp_path / "hello.out").read_text() == f"hello from job {ok_id}\n"
    assert (tmp_path / "three.out").read_text() == "about to fail\n"
    assert (tmp_path / "hello.err").read_text() == ""


def test_sge_qsub_sync_returns_exit_status(sge, tmp_path):
    done = qsub(sge, tmp_path, "sync3", "exit 3", "-sync", "y")
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "exited with exit code 3" in done.stdout + done.stderr


DRMAA_JOBS = r"""
import json, os, sys
import drmaa

work = sys.argv[1]
results = {}
with drmaa.Session() as session:
    results["drms"] = session.drmsInfo
    for name, shell_code in (("hello", 'echo "hello from drmaa job $JOB_ID"'), ("three", "exit 3")):
        jt = session.createJobTemplate()
        jt.remoteCommand = "/bin/sh"
        jt.args = ["-c", shell_code]
        jt.jobName = name
        jt.workingDirectory = work
        jt.outputPath = ":" + os.path.join(work, name + ".out")
        jt.errorPath = ":" + os.path.join(work, name + ".err")
        jt.nativeSpecification = "-b y"
        job_id = session.runJob(jt)
        info = session.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER)
        session.deleteJobTemplate(jt)
        results[name] = {
            "id": job_id, "hasExited": info.hasExited, "exitStatus": info.exitStatus,
            "wasAborted": info.wasAborted, "hasSignal": info.hasSignal,
        }
print(json.dumps(results))
"""


def test_sge_drmaa_run_wait_exit_status(sge, tmp_path):
    assert Path(sge.vars["DRMAA_LIBRARY_PATH"]).is_file()
    # A subprocess: libdrmaa loads only in a Python started with GLIBC_TUNABLES (conftest.py).
    done = sge.run([sys.executable, "-c", DRMAA_JOBS, str(tmp_path)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["drms"].startswith("SGE")
    hello, three = results["hello"], results["three"]
    assert hello["hasExited"] and hello["exitStatus"] == 0 and not hello["wasAborted"]
    assert three["hasExited"] and three["exitStatus"] == 3 and not three["hasSignal"]
    assert (tmp_path / "hello.out").read_text() == f"hello from drmaa job {hello['id']}\n"
    assert (tmp_path / "three.out").read_text() == ""
    # What DRMAA reported is what the accounting says.
    assert qacct(sge, hello["id"])["exit_status"].strip() == "0"
    assert qacct(sge, three["id"])["exit_status"].strip() == "3"


# ------------------------------------------------------------------------------------ Slurm

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "BOOT_FAIL", "DEADLINE", "PREEMPTED"}


def sbatch(slurm, work: Path, name: str, body: str) -> str:
    script = write_job(work, name, body)
    done = slurm.run(["sbatch", "--parsable", "-J", name, "-D", str(work),
                      "-o", str(work / f"{name}.out"), "-e", str(work / f"{name}.err"),
                      str(script)], cwd=work)
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.strip().split(";")[0]
    assert job_id.isdigit(), done.stdout
    return job_id


def test_slurm_sbatch_output_and_exit_codes(slurm, tmp_path):
    ok_id = sbatch(slurm, tmp_path, "hello", 'echo "hello from job $SLURM_JOB_ID"')
    three_id = sbatch(slurm, tmp_path, "three", 'echo "about to fail"; exit 3')

    # One squeue call for all jobs; finished jobs stay listed with -t all (MinJobAge=600).
    def states():
        done = slurm.run(["squeue", "-h", "-t", "all", "-j", f"{ok_id},{three_id}",
                          "-o", "%i %T"])
        found = dict(line.split() for line in done.stdout.splitlines() if line.strip())
        return found if set(found) == {ok_id, three_id} and TERMINAL >= set(found.values()) \
            else None

    assert wait_until(states, what="jobs to end") == {ok_id: "COMPLETED", three_id: "FAILED"}

    def exit_code(job_id):
        shown = slurm.run(["scontrol", "show", "job", "-o", job_id]).stdout
        return re.search(r"\bExitCode=(\d+:\d+)", shown).group(1)

    assert exit_code(ok_id) == "0:0"
    assert exit_code(three_id) == "3:0"

    # Without an accounting database, sacct -c reads the job completion file.
    def completion_records():
        done = slurm.run(["sacct", "-c", "-n", "-P", "-X", "-j", f"{ok_id},{three_id}",
                          "--format=JobID,JobName,State,ExitCode"])
        rows = {line.split("|")[0]: line.split("|")[1:] for line in done.stdout.splitlines()}
        return rows if set(rows) >= {ok_id, three_id} else None

    rows = wait_until(completion_records, what="sacct -c records")
    assert rows[ok_id] == ["hello", "COMPLETED", "0:0"]
    assert rows[three_id] == ["three", "FAILED", "3:0"]

    assert (tmp_path / "hello.out").read_text() == f"hello from job {ok_id}\n"
    assert (tmp_path / "three.out").read_text() == "about to fail\n"
    assert (tmp_path / "hello.err").read_text() == ""


def test_slurm_srun_returns_exit_status(slurm, tmp_path):
    done = slurm.run(["srun", "-N1", "-D", str(tmp_path), "sh", "-c", "echo srun-out; exit 3"],
                     cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "srun-out\n"
