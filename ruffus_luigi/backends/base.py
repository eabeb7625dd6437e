"""The back-end contract: batch-first submit, poll and cancel, with normalised states.

A back end runs jobs somewhere and says how they are doing; it never waits for one.
The dispatcher (``ruffus_luigi.execution.dispatch``) keeps the jobs in flight, polls them all in
one call per cycle and resubmits lost ones, so every back end gets that for free.

Each job runs through a small wrapper script (``write_job_script``) that records the
job's exit code in ``JobSpec.exitcode_path`` beside its logs: schedulers forget
finished jobs (they drop out of ``qstat``/``squeue``), the file does not.

A back end that declares ``max_group_size`` above 1 also runs *groups*: several Python jobs
of one task, with the same resources, as ONE cluster job (``submit_group``), which runs them
one after another in one Python process (``python -m ruffus_luigi.cli.remote --group``,
written by ``prepare_group``): each keeps its own stdout, stderr, exit code file and result,
and its own id (``<cluster job id>+<n>``, see ``member_id``) for polls and cancels.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any


class BackendUnavailable(RuntimeError):
    """A chosen back end cannot run here (missing library or command); never run locally instead."""


class UnknownBackend(ValueError):
    """No installed plugin provides a back end of that name."""


class PluginLoadError(RuntimeError):
    """An installed ``ruffus_luigi`` entry point cannot be imported (a stale or broken install)."""


class JobState(StrEnum):
    """Normalised job states every back end reports."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    LOST = "lost"  # the scheduler no longer knows the job and it left no exit code

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED)


_MEMORY_UNITS = {"": 1, "K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}


@dataclass(frozen=True)
class Resources:
    """What a job asks of the scheduler; None leaves the scheduler's default.

    ``memory`` is for the whole job ("4G", "500M", or a number of megabytes);
    ``walltime`` is "[D-]HH:MM:SS", "MM:SS" or seconds; ``native`` is passed verbatim
    to the back end (a Grid Engine native specification, extra sbatch options...).
    """

    queue: str | None = None
    memory: str | None = None
    threads: int | None = None
    walltime: str | None = None
    native: str | None = None

    @classmethod
    def from_mapping(cls, values: dict[str, Any], where: str = "resources") -> Resources:
        """Resources from a config section or a dict; unknown keys are an error naming ``where``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                "%s: unknown resource(s) %s; known: %s" % (where, ", ".join(unknown), ", ".join(sorted(known)))
            )
        clean: dict[str, Any] = {k: v for k, v in values.items() if v not in (None, "")}
        if "threads" in clean:
            clean["threads"] = int(clean["threads"])
        for key in ("queue", "memory", "walltime", "native"):
            if key in clean:
                clean[key] = str(clean[key])
        resources = cls(**clean)
        resources.memory_mb()  # fail now, naming where, rather than at submission
        resources.walltime_seconds()
        return resources

    def merged(self, other: Resources) -> Resources:
        """These resources with every value ``other`` sets taking precedence."""
        return Resources(**{f.name: getattr(other, f.name) or getattr(self, f.name) for f in fields(self)})

    def memory_mb(self) -> int | None:
        """Memory in whole megabytes (rounded up)."""
        if self.memory is None:
            return None
        m = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?)B?\s*", str(self.memory).upper())
        if not m:
            raise ValueError("memory %r: expected a size such as 500M or 4G" % self.memory)
        return max(1, -int(-float(m.group(1)) * _MEMORY_UNITS[m.group(2)] // 1))

    def walltime_seconds(self) -> int | None:
        """Walltime in seconds."""
        if self.walltime is None:
            return None
        text = str(self.walltime).strip()
        days = 0
        if "-" in text:
            d, text = text.split("-", 1)
            days = int(d)
        parts = text.split(":")
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ValueError("walltime %r: expected [D-]HH:MM:SS, MM:SS or seconds" % self.walltime)
        seconds = 0
        for p in parts:
            seconds = seconds * 60 + int(p)
        return days * 86400 + seconds

    def times(self, n: int) -> Resources:
        """The resources of ``n`` such jobs run one after another: the walltime ``n`` times over."""
        seconds = self.walltime_seconds()
        return self if seconds is None or n <= 1 else replace(self, walltime=str(seconds * n))

    def walltime_hms(self) -> str | None:
        """Walltime as H:MM:SS, which Grid Engine and Slurm both accept."""
        s = self.walltime_seconds()
        return None if s is None else "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


@dataclass
class JobSpec:
    """One job for a back end: a shell command or a pickled Python job, and where it logs.

    ``python_job`` is a directory made by ``ruffus_luigi.execution.pyjob.pack`` and run on the node
    by ``python -m ruffus_luigi.cli.remote <dir>``. Paths are absolute; logs are always set.
    """

    name: str
    workdir: str
    stdout_path: str
    stderr_path: str
    command: str | None = None
    python_job: str | None = None
    resources: Resources = field(default_factory=Resources)
    env: dict[str, str] | None = None
    task_name: str = ""
    exitcode_path: str = ""  # default: <log dir>/<name>.exitcode
    params: Any = field(default=None, repr=False, compare=False)  # the Ruffus job's, for routing

    def __post_init__(self) -> None:
        if (self.command is None) == (self.python_job is None):
            raise ValueError("job %r: give exactly one of command and python_job" % self.name)
        self.workdir = os.path.abspath(self.workdir)
        self.stdout_path = os.path.abspath(self.stdout_path)
        self.stderr_path = os.path.abspath(self.stderr_path)
        if not self.exitcode_path:
            self.exitcode_path = os.path.join(os.path.dirname(self.stdout_path), self.name + ".exitcode")
        self.exitcode_path = os.path.abspath(self.exitcode_path)

    @classmethod
    def in_dir(cls, name: str, log_dir: str, workdir: str, **kwargs: Any) -> JobSpec:
        """A job logging to ``<log_dir>/<name>.stdout``, ``.stderr`` and ``.exitcode``."""
        base = os.path.join(os.path.abspath(log_dir), name)
        return cls(name, workdir, base + ".stdout", base + ".stderr", exitcode_path=base + ".exitcode", **kwargs)

    @property
    def script_path(self) -> str:
        """The wrapper script the back end runs (``<log dir>/<name>.job.sh``)."""
        return self.exitcode_path.removesuffix(".exitcode") + ".job.sh"

    def shell_command(self) -> str:
        """The command the wrapper runs: the shell command, or the Python job runner."""
        if self.python_job is not None:
            return shlex.join([sys.executable, "-m", "ruffus_luigi.cli.remote", self.python_job])
        return shlex.join(["/bin/sh", "-c", self.command or ""])


@dataclass
class JobResult:
    """How one job ended, after any resubmission: succeeded, or failed with why."""

    index: int  # position in the list of jobs the dispatcher was given
    spec: JobSpec
    job_id: str
    state: JobState
    exit_code: int | None
    attempts: int
    message: str = ""  # why, when the exit code does not say (lost, killed, not submitted)
    log_tail: str = ""  # end of stderr/stdout of a failed job

    @property
    def succeeded(self) -> bool:
        return self.state is JobState.SUCCEEDED

    def describe(self) -> str:
        """One paragraph for an error message."""
        why = "exit code %s" % self.exit_code if self.exit_code is not None else self.message or "no exit code"
        text = "job %s (%s) %s: %s" % (self.spec.name, self.job_id or "not submitted", self.state.value, why)
        return text + ("\n" + self.log_tail if self.log_tail else "")


_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def job_name(*parts: Any, limit: int = 120) -> str:
    """A scheduler-safe job name (letters, digits, ``_.-``; not starting with a digit)."""
    name = _NAME_UNSAFE.sub("_", ".".join(str(p) for p in parts)).strip("._") or "job"
    if name[0].isdigit():
        name = "j" + name
    return name[:limit]


class Backend(ABC):
    """A place jobs run. Implementations must be safe to call from the dispatcher's thread.

    ``poll_interval`` (seconds) is how often the dispatcher polls this back end.
    ``max_group_size``: the most jobs ``submit_group`` takes at once; 1 (the default, and
    every back end written before groups existed) means jobs are submitted one cluster job each.
    """

    name: str = ""
    poll_interval: float = 1.0
    max_group_size: int = 1

    @abstractmethod
    def submit(self, specs: list[JobSpec]) -> list[str]:
        """Start these jobs; one id per spec, in order. Call ``prepare_job`` for each first."""

    @abstractmethod
    def poll(self, ids: list[str]) -> dict[str, JobState]:
        """The state of every id, with ONE status query to the scheduler for the whole list."""

    @abstractmethod
    def cancel(self, ids: list[str]) -> None:
        """Stop these jobs (they then report failed, or lost)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release sessions or connections; the back end is not used afterwards."""

    def submit_group(self, specs: list[JobSpec]) -> list[str]:
        """Start these Python jobs (same resources) as one cluster job; one id per spec, in order.

        Only called with more than one spec by a back end whose ``max_group_size`` allows it.
        A back end that groups writes the group with ``prepare_group``, submits the returned
        spec as it submits a job and names each member ``member_id(cluster id, n)``; ``poll``
        then answers for each member (``member_state``) and ``cancel`` of any member stops
        the cluster job. The default submits them one cluster job each.
        """
        return self.submit(specs)


def prepare_job(spec: JobSpec) -> str:
    """Make the log directory, clear a previous attempt's files, write the wrapper script."""
    for path in (spec.stdout_path, spec.stderr_path, spec.exitcode_path, spec.script_path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    for path in (spec.exitcode_path, spec.stdout_path, spec.stderr_path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    return write_job_script(spec)


def write_job_script(spec: JobSpec) -> str:
    """The wrapper: environment, working directory, the command, then its exit code to a file.

    The command runs as a child so that its own ``exit`` cannot skip the record; the
    file is written under a temporary name and renamed, so a reader never sees half.
    """
    q = shlex.quote
    about = "%s%s" % (spec.name, " of task " + spec.task_name if spec.task_name else "")
    # a comment ends at a newline: a task named "x\ntouch pwned" must not start a command
    lines = ["#!/bin/sh", "# ruffus-luigi job " + _CONTROL.sub("?", about)]
    for key, value in (spec.env or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError("job %r: environment variable name %r is not valid" % (spec.name, key))
        lines.append("%s=%s; export %s" % (key, q(str(value)), key))
    tmp = q(spec.exitcode_path + ".tmp") + ".$$"
    lines += [
        "rc=127",
        "if cd %s; then %s; rc=$?; fi" % (q(spec.workdir), spec.shell_command()),
        'printf "%%s\\n" "$rc" > %s && mv -f %s %s' % (tmp, tmp, q(spec.exitcode_path)),
        'exit "$rc"',
        "",
    ]
    with open(spec.script_path, "w", errors="surrogateescape") as f:  # paths need not be UTF-8
        f.write("\n".join(lines))
    os.chmod(spec.script_path, 0o700)
    return spec.script_path


def read_exit_code(path: str) -> int | None:
    """The exit code a job's wrapper recorded, or None if it has not (yet)."""
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def log_tail(spec: JobSpec, lines: int = 20) -> str:
    """The last lines of a job's stderr and stdout, for error messages."""
    parts = []
    for label, path in (("stderr", spec.stderr_path), ("stdout", spec.stdout_path)):
        try:
            with open(path, errors="replace") as f:
                text = f.readlines()[-lines:]
        except OSError:
            continue
        if text:
            parts.append("--- %s (%s), last %d lines:\n%s" % (label, path, len(text), "".join(text)))
    return "\n".join(parts)


MEMBER_SEPARATOR = "+"


def member_id(cluster_id: str, n: int) -> str:
    """The id of job ``n`` of the group that runs as cluster job ``cluster_id``: ``123+4``."""
    return "%s%s%d" % (cluster_id, MEMBER_SEPARATOR, n)


def cluster_job_id(job_id: str) -> str:
    """The cluster's own id of a job id: a group member's (``123+4``) is its group's, ``123``."""
    head, sep, tail = job_id.rpartition(MEMBER_SEPARATOR)
    return head if sep and head and tail.isdigit() else job_id


def prepare_group(specs: list[JobSpec]) -> JobSpec:
    """Write the cluster job that runs these Python jobs one after another; return its spec.

    The group's own files sit beside its first job's logs (``<first job>.group<n>-<tag>.*``); its
    script runs ``python -m ruffus_luigi.cli.remote --group <list>``, which gives each job its
    stdout, stderr and exit code file as the wrapper of a single job would. Its walltime is the
    jobs' walltime times their number. Each job's files of an earlier attempt are cleared.
    """
    if not specs or any(s.python_job is None for s in specs):
        raise ValueError("a group holds one or more Python jobs")
    first = specs[0]
    # (a name of its own: a group cut short may still be removing its files when its jobs go out again)
    base = first.exitcode_path.removesuffix(".exitcode") + ".group%d-%s" % (len(specs), uuid.uuid4().hex[:8])
    for spec in specs:
        for path in (spec.stdout_path, spec.stderr_path, spec.exitcode_path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
    members = [
        {
            "python_job": s.python_job, "workdir": s.workdir, "env": s.env or {}, "stdout": s.stdout_path,
            "stderr": s.stderr_path, "exitcode": s.exitcode_path,
        }
        for s in specs
    ]
    listing = base + ".json"
    with open(listing, "w", errors="surrogateescape") as f:
        json.dump(members, f)
    group = JobSpec(
        os.path.basename(base),
        first.workdir,
        base + ".stdout",
        base + ".stderr",
        command=shlex.join([sys.executable, "-m", "ruffus_luigi.cli.remote", "--group", listing]),
        resources=first.resources.times(len(specs)),
        task_name=first.task_name,
        exitcode_path=base + ".exitcode",
    )
    for path in (group.stdout_path, group.stderr_path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    lines = [
        "#!/bin/sh",
        "# ruffus-luigi group of %d jobs%s" % (len(specs), _CONTROL.sub("?", " of task " + first.task_name if first.task_name else "")),
        "cd %s && exec %s" % (shlex.quote(first.workdir), group.command),
        "",
    ]
    with open(group.script_path, "w", errors="surrogateescape") as f:
        f.write("\n".join(lines))
    os.chmod(group.script_path, 0o700)
    return group


def member_state(group_state: JobState, spec: JobSpec | None) -> JobState:
    """A group member's state from its group's (the cluster job's) and its own files.

    Its exit code file settles it. Without one: while the group waits, so does the member;
    while the group runs, the member runs once its stdout exists (the group made it when it
    started the member). A group that ended or was lost before starting the member lost it
    (the dispatcher resubmits it); one that started it and ended without its exit code
    killed it: the group's state stands (the dispatcher then waits for the exit code file a
while, as for any job that ended without one, or resubmits a lost one). ``spec`` None (a back end that
    did not submit it): the group's state.
    """
    if spec is None:
        return group_state
    code = read_exit_code(spec.exitcode_path)
    if code is not None:
        return JobState.SUCCEEDED if code == 0 else JobState.FAILED
    started = os.path.exists(spec.stdout_path)
    if group_state is JobState.PENDING:
        return JobState.PENDING
    if group_state is JobState.RUNNING:
        return JobState.RUNNING if started else JobState.PENDING
    return group_state if started else JobState.LOST
