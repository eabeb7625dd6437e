"""Slurm through its commands: ``sbatch --parsable``, one ``squeue`` per poll, ``sacct``, ``scancel``.

There is no DRMAA library for Slurm on Debian, and the commands cost a few
milliseconds each. A finished job stays in ``squeue -t all`` for ``MinJobAge`` seconds;
after that ``sacct`` (or ``sacct -c``, the job completion file, on clusters without an
accounting database) still knows it, and the exit code file the job wrapper wrote
settles it in any case.

Groups (``submit_group``): one ``sbatch`` of a script running the Python jobs one after
another in one allocation (``prepare_group``); each job's id is ``<slurm job id>+<n>`` and
its state comes from the Slurm job's and its own exit code file (``member_state``).
``scancel`` of any of them cancels the Slurm job.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

from ruffus_luigi.backends.base import (
    Backend,
    JobSpec,
    JobState,
    cluster_job_id,
    member_id,
    member_state,
    prepare_group,
    prepare_job,
    read_exit_code,
)

STATES = {
    **dict.fromkeys(
        ["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"],
        JobState.PENDING,
    ),
    **dict.fromkeys(
        ["RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "SUSPENDED", "STOPPED", "RESIZING"],
        JobState.RUNNING,
    ),
    "COMPLETED": JobState.SUCCEEDED,
    **dict.fromkeys(
        ["FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "DEADLINE", "SPECIAL_EXIT"],
        JobState.FAILED,
    ),
    **dict.fromkeys(["NODE_FAIL", "BOOT_FAIL", "PREEMPTED", "REVOKED"], JobState.LOST),
}


def normalise(state: str) -> JobState:
    """A Slurm state (``CANCELLED by 0``, ``RUNNING``...) as a ruffus-luigi state."""
    word = state.strip().split(" ")[0].rstrip("+").upper()
    return STATES.get(word, JobState.PENDING)


def parse_table(text: str) -> dict[str, str]:
    """``id|STATE`` lines (squeue -o '%i|%T', sacct -P) as a dict; job steps are left out."""
    rows = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 2 and parts[0] and "." not in parts[0]:
            rows[parts[0]] = parts[1]
    return rows


def _log_path(path: str) -> str:
    """A log's path as ``--output``/``--error`` read it: a file name pattern, where Slurm replaces
    ``%j``, ``%x``... (in the working directory's part too) and a backslash anywhere turns the
    replacing off but is itself removed, so a path holding one cannot be given at all."""
    if "\\" in path:
        raise ValueError(
            "Slurm cannot write a job's log to %r (a backslash in a log path is not kept): "
            "run the pipeline from a directory whose path has none" % path
        )
    return path.replace("%", "%%")


class SlurmBackend(Backend):
    """Jobs on a Slurm cluster; see the module docstring."""

    name = "slurm"
    max_group_size = 1000

    def __init__(
        self,
        partition: str = "",
        account: str = "",
        sbatch_options: str = "",
        poll_interval: float | str = 1.0,
    ) -> None:
        self.partition = partition
        self.account = account
        self.sbatch_options = sbatch_options
        self.poll_interval = float(poll_interval)
        self._specs: dict[str, JobSpec] = {}
        self._sacct: list[str] | None = None  # the sacct that works here, once known
        self.commands_run: list[str] = []  # command names, for tests counting queries

    def sbatch_args(self, spec: JobSpec) -> list[str]:
        """The sbatch command line for a job (its wrapper script written by ``prepare_job``)."""
        r = spec.resources
        args = ["sbatch", "--parsable", "--job-name=" + spec.name, "--chdir=" + spec.workdir]
        args += ["--output=" + _log_path(spec.stdout_path), "--error=" + _log_path(spec.stderr_path)]
        partition = r.queue or self.partition
        if partition:
            args.append("--partition=" + partition)
        if self.account:
            args.append("--account=" + self.account)
        if r.memory_mb():
            args.append("--mem=%dM" % r.memory_mb())
        if r.threads:
            args.append("--cpus-per-task=%d" % r.threads)
        if r.walltime:
            args.append("--time=" + (r.walltime_hms() or ""))
        args += shlex.split(self.sbatch_options) + shlex.split(r.native or "")
        return args + [spec.script_path]

    def _run(self, args: Sequence[str], check: bool = True) -> subprocess.CompletedProcess:
        self.commands_run.append(args[0])
        # (errors="replace": sacct -c echoes job records, whose paths may hold bytes that are not UTF-8)
        done = subprocess.run(list(args), capture_output=True, text=True, errors="replace", timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError("%s failed (exit %d): %s" % (shlex.join(args), done.returncode, done.stderr.strip()))
        return done

    def submit(self, specs: list[JobSpec]) -> list[str]:
        ids = []
        for spec in specs:
            prepare_job(spec)
            job_id = self._sbatch(spec)
            self._specs[job_id] = spec
            ids.append(job_id)
        return ids

    def submit_group(self, specs: list[JobSpec]) -> list[str]:
        group = prepare_group(specs)
        job_id = self._sbatch(group)
        self._specs[job_id] = group
        members = [member_id(job_id, n) for n in range(len(specs))]
        self._specs.update(zip(members, specs, strict=True))
        return members

    def _sbatch(self, spec: JobSpec) -> str:
        out = self._run(self.sbatch_args(spec)).stdout.strip()
        job_id = out.split(";")[0]
        if not job_id:
            raise RuntimeError("sbatch printed no job id for %s" % spec.name)
        return job_id

    def poll(self, ids: list[str]) -> dict[str, JobState]:
        """One query for the Slurm jobs of these ids (a group's members share theirs)."""
        states: dict[str, JobState] = {}
        ask: dict[str, list[str]] = {}
        for job_id in ids:
            slurm_id = cluster_job_id(job_id)
            code = self._exit_code(job_id) if slurm_id != job_id else None
            if code is not None:  # a member done: its group need not be asked about
                states[job_id] = JobState.SUCCEEDED if code == 0 else JobState.FAILED
            else:
                ask.setdefault(slurm_id, []).append(job_id)
        slurm_states = self._slurm_states(list(ask))
        for slurm_id, asked in ask.items():
            for job_id in asked:
                own = slurm_states[slurm_id]
                states[job_id] = own if job_id == slurm_id else member_state(own, self._specs.get(job_id))
        return states

    def _slurm_states(self, ids: list[str]) -> dict[str, JobState]:
        if not ids:
            return {}
        done = self._run(["squeue", "-h", "-t", "all", "-j", ",".join(ids), "-o", "%i|%T"], check=False)
        if done.returncode != 0 and "Invalid job id" not in done.stderr:
            raise RuntimeError("squeue failed (exit %d): %s" % (done.returncode, done.stderr.strip()))
        seen = parse_table(done.stdout)  # (every id purged: "Invalid job id", nothing listed)
        states = {i: normalise(seen[i]) for i in ids if i in seen}
        gone = [i for i in ids if i not in states and not self._has_exit_code(i)]
        if gone:
            accounted = self._sacct_states(gone)
            states.update({i: normalise(accounted[i]) for i in gone if i in accounted})
        for job_id in ids:
            if job_id not in states:  # finished and purged: the exit code file decides, else lost
                code = self._exit_code(job_id)
                states[job_id] = JobState.LOST if code is None else JobState.SUCCEEDED if code == 0 else JobState.FAILED
        return states

    def _exit_code(self, job_id: str) -> int | None:
        spec = self._specs.get(job_id)
        return None if spec is None else read_exit_code(spec.exitcode_path)

    def _has_exit_code(self, job_id: str) -> bool:
        return self._exit_code(job_id) is not None

    def _sacct_states(self, ids: list[str]) -> dict[str, str]:
        """States from accounting, trying the database first and then the job completion file."""
        tail = ["-n", "-P", "-X", "-j", ",".join(ids), "--format=JobID,State"]
        for sacct in [self._sacct] if self._sacct else [["sacct"], ["sacct", "-c"]]:
            done = self._run(sacct + tail, check=False)
            if done.returncode == 0:
                self._sacct = sacct
                return parse_table(done.stdout)
        return {}

    def cancel(self, ids: list[str]) -> None:
        slurm_ids = sorted({cluster_job_id(i) for i in ids})
        if slurm_ids:
            self._run(["scancel", *slurm_ids], check=False)
