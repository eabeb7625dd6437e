"""Checkpoint strategies in a run: wrapping jobs, telling them what was consumed.

The contract strategies implement is ``checkpoints.base``; this module is the run's side
of it (choosing them, before planning, is ``planning.strategy_choice``). With only ``history`` chosen (the default) none of this is on the job path.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..checkpoints import Checkpoint, CheckpointJob
from ..errors.job_errors import exception_tuple
from ..files import other_names
from ..files.filenames import flatten_strings, is_glob
from ..planning.strategy_choice import overrides, strategy_job
from ..settings import config
from .job import JobOutcome

if TYPE_CHECKING:
    from ..model.task import Task
    from .chunks import PlannedJob
    from .run import RunState

KEEP_ATTRIBUTE = "ruffus_luigi_keep_outputs"
"""A task function attribute: ``True`` keeps the task's outputs from being zeroed or removed."""


@contextmanager
def checkpointed(strategies: list[Checkpoint], job: CheckpointJob) -> Iterator[None]:
    """Run the body (the job) between the strategies' before and after hooks.

    After hooks run in reverse order. A failing ``job_succeeded`` (an output that cannot be
    put in place) fails the job, and the strategies not yet told are told it failed.
    """
    _before(strategies, job)
    try:
        yield
    except BaseException:
        _tell_failed(strategies, job)
        raise
    _after(strategies, job)


def _before(strategies: list[Checkpoint], job: CheckpointJob) -> None:
    """Every strategy's ``before_job``, in order; if one fails, those before it are told."""
    entered: list[Checkpoint] = []
    try:
        for strategy in strategies:
            with _file_errors(strategy, job, "before the job"):
                strategy.before_job(job)
            entered.append(strategy)
    except BaseException:
        _tell_failed(entered, job)
        raise


@contextmanager
def _file_errors(strategy: Checkpoint, job: CheckpointJob, when: str) -> Iterator[None]:
    """A strategy's plain file-system error (a full disk, a read-only file system, no permission)
    as one line naming the strategy and the file, without the strategy's traceback.

    The job fails with it as with its own OSError (Ruffus' text: task, job, the error); the
    traceback would show only ruffus-luigi's insides. It names the job's outputs: the error's
    own file name may be missing (``os.write`` names none) or relative to a directory
    descriptor, so it is added only as a detail.
    """
    try:
        yield
    except OSError as e:
        if e.errno is None or isinstance(e, (BlockingIOError, InterruptedError)):
            raise
        outputs = ", ".join(job.outputs)
        detail = ", at %r" % e.filename if e.filename is not None and e.filename != outputs else ""
        error = OSError(e.errno, "%s (checkpoint %r, %s%s)" % (e.strerror or e, strategy.name, when, detail), outputs)
        error.ruffus_luigi_no_traceback = True  # type: ignore[attr-defined]
        raise error from None


def _after(strategies: list[Checkpoint], job: CheckpointJob) -> None:
    """Every strategy's ``job_succeeded``, in reverse order; if one fails, the rest are told it failed."""
    waiting = list(strategies)
    while waiting:
        strategy = waiting.pop()
        try:
            with _file_errors(strategy, job, "putting the outputs in place"):
                strategy.job_succeeded(job)
        except BaseException:
            _tell_failed(waiting, job)
            raise


def run_checkpointed(
    strategies: list[Checkpoint], task: Task, jobs: list[PlannedJob], outcomes: list[JobOutcome], run: Any
) -> None:
    """``run(jobs)`` (a back end running a batch) with every job between the strategies' hooks."""
    wrapped: dict[int, CheckpointJob] = {}
    ready: dict[int, PlannedJob] = {}
    for job in jobs:
        cjob = strategy_job(task, job.params)
        cjob.in_process = False
        try:
            _before(strategies, cjob)
        except Exception:
            outcomes.append(JobOutcome(job.index, job.name, ran=False, error=exception_tuple(task.name, job.name)))
            continue
        wrapped[job.index] = cjob
        ready[job.index] = replace(job, params=cjob.params)
    first = len(outcomes)
    try:
        run(list(ready.values()))
    finally:
        told = set()
        for outcome in outcomes[first:]:
            cjob, job = wrapped[outcome.index], ready[outcome.index]
            told.add(outcome.index)
            if outcome.ran and not outcome.error:
                try:
                    _after(strategies, cjob)
                except Exception:
                    outcome.ran = False
                    outcome.name = job.name
                    outcome.error = exception_tuple(task.name, job.name)
            else:
                _tell_failed(strategies, cjob)
        for index, cjob in wrapped.items():
            if index not in told:  # never ran (interrupted)
                _tell_failed(strategies, cjob)


def _tell_failed(strategies: list[Checkpoint], job: CheckpointJob) -> None:
    for strategy in reversed(strategies):
        try:
            strategy.job_failed(job)
        except Exception:  # noqa: S110 - the job's own error is the one to report
            pass


class Intermediates:
    """Tells strategies which outputs of a task no job can still need.

    A file made by task P is handed to ``files_consumed`` only when:

    - P finished without a failure, is active, is not a named target, does not keep its
      outputs, and some other task's job names the file (input, extra, nested anywhere);
    - every task of the run that does not come before P has finished without a failure
      (any of them might name the file, and a job's names are known only once its
      inputs are made), and every task outside the run that comes after P can be planned
      now (everything before it finished) and names none of P's outputs;
    - no job of P names it besides as an output, no other task names it as an output;
    - no symbolic link leads to it (under the working tree, or beside any file a job
      names), other than the links on its own path.

    The strategy itself checks, file by file at the moment of freeing, that the file
    is a regular file with a single name and is not protected by a ``keep`` pattern.
    """

    def __init__(self, state: RunState, scope: list[Task]) -> None:
        self.state = state
        self.scope = set(scope)
        self.targets = set(state.session.named_targets)  # their outputs are final results
        self.done: set[Task] = set()  # producers already handled
        self.workdir = os.getcwd()
        self._finished: dict[Task, bool] = {}  # tasks whose stage is over: without failure?
        self._names: dict[Task, tuple[set[str], set[str]]] = {}  # task -> (names but outputs, outputs)
        self._absolute: dict[str, str] = {}
        self._relatives: dict[tuple[Task, str], set[Task]] = {}
        self._elsewhere: set[str] = set()  # names jobs use outside the working tree

    def stage_finished(self, task: Task) -> None:
        self.sweep()

    def sweep(self) -> None:
        """Every producer not handled yet whose files may now be unneeded (also at the end of the run)."""
        waiting = [t for t in self.scope if t not in self.done]
        if not waiting:
            return
        unfinished = [t for t in self.scope if not self._finished_well(t)]
        for producer in waiting:
            before = self._related(producer, "_inward")
            if all(t is producer or t in before for t in unfinished):
                self._consider(producer)

    def _finished_well(self, task: Task) -> bool:
        found = self._finished.get(task)
        if found is None:
            state = self.state
            if not state.stages.stage_done(task):
                return False
            found = self._finished[task] = not any(
                o.error for chunk in state.stages.planned.get(task, []) for o in chunk.results()
            )
        return found

    def _consider(self, producer: Task) -> None:
        if producer in self.done or producer not in self.scope:
            return
        if (
            producer in self.targets
            or not producer.children
            or not producer.is_active
            or getattr(producer.user_defined_work_func, KEEP_ATTRIBUTE, False)
        ):
            self.done.add(producer)
            return
        if not self._finished_well(producer):
            return  # (and never, in a run where it failed; nor while a task not before it runs: see sweep)
        self.done.add(producer)
        outside = [t for t in self._related(producer, "_outward") if t not in self.scope]
        if any(
            a not in self.scope or not self._finished_well(a) for t in outside for a in self._related(t, "_inward")
        ):
            return  # a task after it that this run does not plan: what it names is unknown
        strategies = [s for s in self.state.checkpoints_for(producer) if overrides(s, "files_consumed")]

        if not strategies or config.task_keeps_outputs(producer.display_name, producer.name):
            return
        try:
            files = self._unneeded(producer, outside)
        except Exception:  # noqa: BLE001 - jobs that cannot be listed again are simply kept
            return
        if files:
            for strategy in strategies:
                strategy.files_consumed(files, producer.display_name)

    def _unneeded(self, producer: Task, outside: list[Task]) -> list[str]:
        """The producer's outputs that other tasks' jobs name, which none can need any more."""
        own, made = self._task_names(producer)
        named: set[str] = set()
        others_make: set[str] = set()
        for task in self.scope:
            if task is not producer and task.is_active:
                names, outputs = self._task_names(task)
                named |= names
                others_make |= outputs
        files = (made & named) - own - others_make
        for task in outside:
            names, outputs = self._task_names(task)
            files -= names | outputs
            for pattern in (n for n in names if is_glob(n)):  # expanded by the job itself
                files -= set(fnmatch.filter(files, pattern))
        if not files:
            return []
        links = other_names.LinkMap(self.workdir, self._elsewhere)
        return sorted(f for f in files if not links.reaches(f))

    def _task_names(self, task: Task) -> tuple[set[str], set[str]]:
        """Every name a task's jobs use besides as outputs, and their outputs (absolute)."""
        found = self._names.get(task)
        if found is None:
            absolute = self._absolute
            names: set[str] = set()
            outputs: set[str] = set()
            if task.job_source is not None:
                for params, _ in self.state.planner.jobs(task):
                    for where, part in ((names, params[:1]), (outputs, params[1:2]), (names, params[2:])):
                        for name in other_names.names_in(part):
                            path = absolute.get(name)
                            if path is None:
                                path = absolute[name] = os.path.abspath(name)
                            where.add(path)
            if task.indeterminate_output:  # glob outputs: the files they matched
                outputs |= {os.path.abspath(f) for f in flatten_strings(self.state.planner.outputs(task, False))}
            found = self._names[task] = (names, outputs)
            inside = self.workdir + os.sep
            self._elsewhere |= {p for p in names | outputs if not p.startswith(inside)}
        return found

    def _related(self, task: Task, direction: str) -> set[Task]:
        """Every task before (``_inward``) or after (``_outward``) a task, however far."""
        key = (task, direction)
        found = self._relatives.get(key)
        if found is None:
            found = self._relatives[key] = set()
            pending = list(getattr(task, direction))
            while pending:
                t = pending.pop()
                if t not in found:
                    found.add(t)
                    pending.extend(getattr(t, direction))
        return found
