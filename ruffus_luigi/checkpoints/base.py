"""The checkpoint-strategy contract: what a strategy sees of a run and when it is called.

A strategy decides how a job's outputs become trustworthy and what happens to them
later. ruffus-luigi calls every chosen strategy, in the order chosen:

- ``run_started(run)`` once in the driver, before any job is planned; also before a dry
  run (``pipeline_printout``, ``-n``: ``run.dry_run`` is true), which plans and lists the
  jobs with the strategies' say and runs none, so a strategy then changes no file;
- ``job_complete(job)`` while planning (driver or worker): ``False`` makes the job
  run whatever the timestamps say, ``None`` (the default) leaves the decision to
  Ruffus' rules; no strategy can make an out-of-date job look complete;
- ``before_job(job)`` in the process about to run the job; it may replace
  ``job.params`` (the job's function is called with them);
- ``job_succeeded(job)`` / ``job_failed(job)`` in that process, right after the job,
  in reverse order (the strategy that wrapped the job first unwraps it last); a
  success is recorded in the job history after these return;
- ``files_consumed(files, producer)`` in the driver once no job can still name these
  outputs of task ``producer``: every task of the run not before it has finished without
  a failure, and none outside the run that comes after it names them. Files with another
  name (hard or symbolic links) are not offered.
- ``run_finished(succeeded)`` once in the driver at the end (of a dry run too).

Every method has a do-nothing default. Strategies must be picklable by reference
(they travel to forked workers with the run) and must not hold open connections
across ``fork``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckpointJob:
    """One Ruffus job as a strategy sees it."""

    task: str  # the task's display name, e.g. "main::align"
    params: tuple  # what the job's function is called with
    inputs: list[str]  # its input file names, flattened
    outputs: list[str]  # its declared output file names, flattened (glob patterns kept)
    state: dict[str, Any] = field(default_factory=dict)  # a strategy's notes between hooks
    in_process: bool = True  # False: a back end runs it elsewhere (a cluster job may outlive this process)


@dataclass
class RunInfo:
    """What a strategy may know about the run starting."""

    workdir: str
    history_file: str  # the sqlite file of the job history (also for strategies' own tables)
    targets: list[str]  # display names of the target tasks
    keep: list[str]  # glob patterns of files never to zero or remove
    pending_jobs: Callable[[], Iterable[CheckpointJob]]  # the jobs that would run, planned now
    dry_run: bool = False  # pipeline_printout: jobs are planned and listed, none runs


class Checkpoint:
    """Base class of checkpoint strategies; override the hooks you need."""

    name = ""

    def run_started(self, run: RunInfo) -> None:
        """The run is about to plan its jobs."""

    def job_complete(self, job: CheckpointJob) -> bool | None:
        """``False``: this job must run. ``None``: no opinion."""
        return None

    def before_job(self, job: CheckpointJob) -> None:
        """The job is about to run."""

    def job_succeeded(self, job: CheckpointJob) -> None:
        """The job's function returned."""

    def job_failed(self, job: CheckpointJob) -> None:
        """The job's function raised (or the run was interrupted while it ran)."""

    def files_consumed(self, files: list[str], producer: str) -> None:
        """Every consumer of these intermediate files is done."""

    def run_finished(self, succeeded: bool) -> None:
        """The run ended (driver only)."""


class UnknownCheckpoint(ValueError):
    """A checkpoint strategy name that no installed plugin provides."""


def parse_names(value: str | Iterable[str] | None) -> list[str]:
    """``"history, atomic"`` or ``["atomic"]`` as a list of names, without duplicates."""
    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in names:
            names.append(item)
    return names
