"""Which checkpoint strategies a run uses, chosen before it plans, and what they make planning see.

A strategy may make a job that looks up to date run (``job_complete``) and may have freed
files planning must still see (``absent``); so a run, ``pipeline_printout`` and the flowchart
choose them alike before deciding what is out of date. Wrapping the jobs that run is the
execution's side (``execution.strategies``).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import checkpoints
from ..checkpoints import Checkpoint, CheckpointJob, RunInfo, parse_names
from ..files import absent
from ..files.filenames import flatten_strings, is_glob
from ..settings import config
from .history_settings import get_default_history_file_name
from .plan import tasks_to_run

if TYPE_CHECKING:
    from ..model.task import Task
    from .plan import Session


def strategy_job(task: Task, params: tuple) -> CheckpointJob:
    """A job's parameters as strategies see them."""
    inputs = flatten_strings(params[0]) if params else []
    outputs = flatten_strings(params[1]) if len(params) >= 2 else []
    return CheckpointJob(task.display_name, params, inputs, outputs)


@dataclass
class Chosen:
    """A run's strategies: for every task, and for the tasks that chose their own."""

    checkpoints: list[Checkpoint] = field(default_factory=list)
    task_checkpoints: dict[Task, list[Checkpoint]] = field(default_factory=dict)
    scope: list[Task] = field(default_factory=list)  # the tasks the targets need
    frees_files: bool = False  # some strategy wants ``files_consumed``

    def everything(self) -> list[Checkpoint]:
        return self.checkpoints + [s for own in self.task_checkpoints.values() for s in own]


def choose(session: Session, history_file: str | None, explicit: Any, keep: Any, dry_run: bool = False) -> Chosen:
    """Build the run's strategies (keyword, else environment, else luigi.cfg) and start them.

    Called before the run decides what is out of date: a strategy may change that. A dry
    run (``pipeline_printout``) chooses them alike, so it lists what the real run would run.
    """
    planner = session.planner
    names, where = config.checkpoint(explicit)
    chosen = Chosen(checkpoints.create(names, where))
    if not chosen.checkpoints and not config.any_task_checkpoint():
        return chosen  # the default: Ruffus' history only
    chosen.scope = tasks_to_run(planner, session.targets, True, True)[0]
    for task in chosen.scope:
        own = config.task_checkpoint(task.display_name, task.name)
        if own is not None:
            chosen.task_checkpoints[task] = checkpoints.create(own, "[ruffus_luigi.task.%s] checkpoint" % task.name)
    everything = chosen.everything()
    if not everything:
        return chosen
    planner.completion_checks = [s for s in everything if overrides(s, "job_complete")]
    chosen.frees_files = any(overrides(s, "files_consumed") for s in everything)
    info = RunInfo(
        workdir=os.getcwd(),
        history_file=os.path.abspath(history_file or get_default_history_file_name()),
        targets=[t.display_name for t in session.targets],
        keep=keep_patterns(keep),
        pending_jobs=lambda: pending_jobs(session),
        dry_run=dry_run,
    )
    for strategy in everything:
        strategy.run_started(info)
    return chosen


@contextmanager
def dry_run(session: Session, history_file: str | None, explicit: Any, keep: Any) -> Iterator[Chosen]:
    """The strategies of a run that only plans (``pipeline_printout``, the flowchart).

    Planning sees what the real run's would: jobs a strategy makes run, freed files as
    present. At the end the strategies are told the run finished, and what they made
    planning see ends with it.
    """
    chosen = choose(session, history_file, explicit, keep, dry_run=True)
    try:
        yield chosen
    finally:
        for strategy in chosen.everything():
            strategy.run_finished(True)
        if chosen.frees_files:
            absent.set_absent_files({})


def overrides(strategy: Checkpoint, method: str) -> bool:
    return getattr(type(strategy), method) is not getattr(Checkpoint, method)


def pending_jobs(session: Session) -> Iterator[CheckpointJob]:
    """The jobs this run would run, planned now, in run order.

    Besides jobs out of date already, a job runs when an input is remade by a job
    before it; that is followed file by file (glob outputs by pattern).
    """
    planner = session.planner
    incomplete, _ = tasks_to_run(planner, session.targets, session.forced, True)
    forced = set(session.forced) if not isinstance(session.forced, bool) else set(incomplete)
    remade: set[str] = set()
    patterns: list[str] = []
    for task in incomplete:
        if not task.is_active or task.job_source is None:
            continue
        for params, _ in planner.jobs(task):
            if len(params) < 2:
                continue
            job = strategy_job(task, params)
            inputs = [os.path.abspath(f) for f in job.inputs]
            pending = (
                task in forced
                or not remade.isdisjoint(inputs)
                or any(fnmatch.fnmatchcase(f, p) for p in patterns for f in inputs)
                or planner.job_needs_update(task, params, explain=False)[0]
            )
            if pending:
                for f in job.outputs:
                    (patterns.append if is_glob(f) else remade.add)(os.path.abspath(f))
                yield job


def keep_patterns(explicit: object = None) -> list[str]:
    """Files never to zero or remove: the ``keep`` keyword, RUFFUS_LUIGI_KEEP and ``[ruffus_luigi] keep``."""

    found = parse_names(explicit) if explicit else []
    for value in config.keep_values():
        found += [p for p in parse_names(value) if p not in found]
    return found
