"""The Slurm back end's command lines and state reading, against canned command output (no cluster)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruffus_luigi_slurm.backend import SlurmBackend, normalise, parse_table
from ruffus_luigi_slurm.plugin import make_slurm

from ruffus_luigi import plugins
from ruffus_luigi.backends.base import BackendUnavailable, JobSpec, JobState, Resources


class Canned(SlurmBackend):
    """Answers each command from ``answers[name]`` (stdout, stderr, rc) and records the calls."""

    def __init__(self, answers: dict[str, list[tuple[str, str, int]]], **options) -> None:
        super().__init__(**options)
        self.answers = answers
        self.calls: list[list[str]] = []

    def _run(self, args, check=True):
        self.calls.append(list(args))
        self.commands_run.append(args[0])
        out, err, rc = self.answers[args[0]].pop(0)
        if check and rc:
            raise RuntimeError("%s failed: %s" % (args[0], err))
        return subprocess.CompletedProcess(args, rc, out, err)


def spec(tmp_path: Path, name: str = "job", **kwargs) -> JobSpec:
    return JobSpec.in_dir(name, str(tmp_path / "logs"), str(tmp_path), command="true", **kwargs)


def test_registered_through_the_entry_point():
    assert "slurm" in plugins.backend_names()


def test_missing_commands_fail_loudly(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BackendUnavailable, match="back end 'slurm' needs sbatch, squeue, scancel on PATH"):
        make_slurm()


def test_sbatch_command_line_always_names_logs_and_maps_resources(tmp_path):
    backend = SlurmBackend(partition="debug", account="lab", sbatch_options="--qos=low")
    s = spec(tmp_path, resources=Resources(memory="2G", threads=4, walltime="90:00", native="--exclusive -x n1"))
    assert backend.sbatch_args(s) == [
        "sbatch", "--parsable", "--job-name=job", "--chdir=%s" % tmp_path,
        "--output=%s" % (tmp_path / "logs" / "job.stdout"), "--error=%s" % (tmp_path / "logs" / "job.stderr"),
        "--partition=debug", "--account=lab", "--mem=2048M", "--cpus-per-task=4", "--time=1:30:00",
        "--qos=low", "--exclusive", "-x", "n1", str(tmp_path / "logs" / "job.job.sh"),
    ]
    assert "--partition=long" in backend.sbatch_args(spec(tmp_path, resources=Resources(queue="long")))


def test_submit_reads_parsable_ids_and_writes_the_wrapper(tmp_path):
    backend = Canned({"sbatch": [("41;cluster\n", "", 0), ("42\n", "", 0)]})
    assert backend.submit([spec(tmp_path, "a"), spec(tmp_path, "b")]) == ["41", "42"]
    assert (tmp_path / "logs" / "a.job.sh").exists()


def test_one_squeue_per_poll_for_all_jobs(tmp_path):
    backend = Canned({"sbatch": [("1", "", 0), ("2", "", 0), ("3", "", 0)],
                      "squeue": [("1|PENDING\n2|RUNNING\n3|COMPLETED\n3.batch|COMPLETED\n", "", 0)]})
    ids = backend.submit([spec(tmp_path, n) for n in "abc"])
    assert backend.poll(ids) == {"1": JobState.PENDING, "2": JobState.RUNNING, "3": JobState.SUCCEEDED}
    assert backend.commands_run.count("squeue") == 1
    assert backend.calls[-1][:5] == ["squeue", "-h", "-t", "all", "-j"] and backend.calls[-1][5] == "1,2,3"


def test_purged_jobs_come_from_exit_code_files_then_accounting(tmp_path):
    backend = Canned({
        "sbatch": [("7", "", 0), ("8", "", 0), ("9", "", 0)],
        "squeue": [("", "slurm_load_jobs error: Invalid job id specified", 1)] * 2,
        "sacct": [("", "Slurm accounting storage is disabled", 1), ("8|CANCELLED by 0\n", "", 0),
                  ("", "", 0)],
    })
    a, b, c = spec(tmp_path, "a"), spec(tmp_path, "b"), spec(tmp_path, "c")
    ids = backend.submit([a, b, c])
    Path(a.exitcode_path).write_text("0\n")
    states = backend.poll(ids)
    assert states == {"7": JobState.SUCCEEDED, "8": JobState.FAILED, "9": JobState.LOST}
    assert [c[:2] for c in backend.calls if c[0] == "sacct"] == [["sacct", "-n"], ["sacct", "-c"]]
    backend.poll(["9"])  # the working sacct is remembered
    assert backend.calls[-1][:2] == ["sacct", "-c"]


def test_squeue_failure_is_an_error(tmp_path):
    backend = Canned({"squeue": [("", "slurm_load_jobs error: Unable to contact slurm controller", 1)]})
    with pytest.raises(RuntimeError, match="Unable to contact"):
        backend.poll(["1"])


def test_cancel_is_one_scancel(tmp_path):
    backend = Canned({"scancel": [("", "", 0)]})
    backend.cancel(["1", "2"])
    assert backend.calls == [["scancel", "1", "2"]]


@pytest.mark.parametrize(
    "state, expected",
    [("PENDING", JobState.PENDING), ("COMPLETING", JobState.RUNNING), ("COMPLETED", JobState.SUCCEEDED),
     ("CANCELLED by 0", JobState.FAILED), ("TIMEOUT", JobState.FAILED), ("OUT_OF_MEMORY", JobState.FAILED),
     ("NODE_FAIL", JobState.LOST), ("PREEMPTED", JobState.LOST), ("REQUEUED", JobState.PENDING)],
)
def test_states_are_normalised(state, expected):
    assert normalise(state) is expected


def test_tables_leave_out_job_steps():
    assert parse_table("5|COMPLETED\n5.batch|COMPLETED\n5.extern|COMPLETED\n\n") == {"5": "COMPLETED"}


# -- groups: several Python jobs in one sbatch, each answered for on its own --------------


def python_spec(tmp_path: Path, name: str, **kwargs) -> JobSpec:
    return JobSpec.in_dir(name, str(tmp_path / "logs"), str(tmp_path), python_job=str(tmp_path / name), **kwargs)


@pytest.mark.timeout(30)
def test_a_group_is_one_sbatch_with_the_walltimes_added_and_an_id_per_job(tmp_path):
    backend = Canned({"sbatch": [("77;cluster\n", "", 0)]})
    specs = [python_spec(tmp_path, n, resources=Resources(walltime="0:10:00", threads=2)) for n in "abc"]
    assert backend.submit_group(specs) == ["77+0", "77+1", "77+2"]
    [sbatch] = backend.calls
    assert "--time=0:30:00" in sbatch and "--cpus-per-task=2" in sbatch
    script = Path(sbatch[-1]).read_text()
    assert "ruffus_luigi.cli.remote --group" in script and script.startswith("#!/bin/sh\n")


@pytest.mark.timeout(30)
def test_group_members_share_one_query_and_their_files_settle_them(tmp_path):
    backend = Canned({"sbatch": [("77", "", 0)], "squeue": [("77|RUNNING\n", "", 0), ("", "", 0)],
                      "sacct": [("77|CANCELLED by 0\n", "", 0)]})
    a, b, c = (python_spec(tmp_path, n) for n in "abc")
    ids = backend.submit_group([a, b, c])
    Path(a.exitcode_path).write_text("3\n")  # a ended (exit 3), b started, c not yet
    Path(b.stdout_path).write_text("")
    assert backend.poll(ids) == {"77+0": JobState.FAILED, "77+1": JobState.RUNNING, "77+2": JobState.PENDING}
    assert backend.calls[-1][5] == "77"  # the Slurm job's id, asked once
    # the Slurm job was cancelled: b, started, ended with it; c never started, so it was lost
    assert backend.poll(ids[1:]) == {"77+1": JobState.FAILED, "77+2": JobState.LOST}


@pytest.mark.timeout(30)
def test_cancelling_group_members_cancels_their_slurm_job_once(tmp_path):
    backend = Canned({"scancel": [("", "", 0)]})
    backend.cancel(["77+0", "77+1", "78"])
    assert backend.calls == [["scancel", "77", "78"]]
