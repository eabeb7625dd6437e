"""A chunk's jobs run: claimed, rechecked, tried (again), wrapped in strategies, recorded.

``Chunk.run`` (in a slot, a forked Luigi worker process or the driver) calls
``ChunkExecutor.execute``. The jobs run one after another, in ``multithread`` threads, or
on a cluster back end (``on_backend``); the finished ones are recorded in the job history
in one commit, also after Ctrl-C.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from ..errors import clear_errors
from ..errors import exceptions as rx
from ..errors.job_errors import exception_tuple
from ..model.task import Task
from ..planning import history as hist
from ..planning import history_store
from ..planning.plan_cache import ran_signature
from ..planning.strategy_choice import strategy_job
from ..settings import config
from . import reserved_names
from .chunks import Chunk, PlannedJob, file_names, output_names
from .claims import Claims
from .job import FILE_CHECK_RETRY, JobOutcome, call_job, check_input_files_exist, touch_outputs
from .retries import retrying
from .strategies import checkpointed, run_checkpointed

if TYPE_CHECKING:
    from .run import RunState

RUN_WHEN_TOUCHING = ("mkdir", "parallel", "task")
"""Task kinds whose jobs run as usual under ``touch_files_only``: no output files to touch."""


class ChunkExecutor:
    """Runs chunks' jobs for one run; counts the jobs under way in this process."""

    def __init__(self, run: RunState) -> None:
        self.run = run
        self.options = run.options
        self.files = run.files
        self.claims: Claims | None = None  # under a shared luigid, while Luigi runs: jobs are claimed before they run
        self.jobs_running = 0  # jobs under way in this process (an interrupted one stays counted)
        self.jobs_interrupted = 0  # jobs under way when Ctrl-C came (see launch)
        self._attempts: dict[Task, int] = {}

    @contextmanager
    def claiming(self) -> Iterator[None]:
        """While Luigi runs the stages: under a shared luigid, a worker claims a chunk's jobs
        before it runs them (opened before any worker process is forked: they inherit it)."""
        if not self.options.scheduler.shared:
            yield
            return
        self.claims = Claims(self.run.workdir)
        try:
            yield
        finally:
            self.claims.close()
            self.claims = None

    def interrupted(self, jobs: int) -> None:
        """Ctrl-C came while this many jobs were under way (see ``launch``)."""
        self.jobs_interrupted = jobs

    def attempts(self, task: Task) -> int:
        """How many times a failing job of this task is tried (``retry_count``, read once per task)."""
        found = self._attempts.get(task)
        if found is None:
            found = self._attempts[task] = config.retry_count(task.display_name, task.name)
        return found

    def execute(self, chunk: Chunk) -> list[JobOutcome]:
        """Run a chunk's out-of-date jobs (in a worker) and record them in the history.

        Under a shared luigid they are claimed first (``claims``): another run may be
        running them now, and the recheck on disk must wait until it has recorded them.
        """
        todo = chunk.to_run()
        if self.claims is None or not todo:
            return self._execute(chunk, todo)
        with self.claims.hold(chunk.claim_keys(todo)):
            return self._execute(chunk, todo)

    def _execute(self, chunk: Chunk, todo: list[PlannedJob]) -> list[JobOutcome]:
        task, run, options, files = chunk.task, self.run, self.options, self.files
        planner = run.planner
        in_driver = os.getpid() == run.pid
        try:
            history = planner.history if in_driver else history_store.open_job_history(options.history_file or ":memory:")
        except clear_errors.DamagedHistory as e:
            return self._not_recorded(task, todo, str(e), ran=False)
        if options.scheduler.shared and not chunk.forced:
            # another run against the same luigid may have run some of them meanwhile
            if history is planner.history:
                history.refresh()
            todo = [j for j in todo if planner.job_needs_update(task, j.params, history=history, explain=False)[0]]
        outcomes: list[JobOutcome] = []
        if any(j.early for j in todo):
            # (once the run stops no job starts: their inputs are not waited for, nor reported missing)
            todo = [] if files.stopping() else self._inputs_made(task, todo, outcomes)
            if todo and options.one_second_if_clock_behind and files.clock_was_behind():
                # planned before the files ran ahead of the clock: the pause Ruffus makes
                # before a task's jobs from then on (``StagePlanner.start_stage``) is made here
                time.sleep(1.01)
        todo = self._refuse_reserved(task, todo, outcomes)
        try:
            # an interrupted job must not leave an old record vouching for a half-written output
            hist.forget_jobs(history, [job.display for job in todo])
        except sqlite3.DatabaseError as e:
            if history is not planner.history:
                history.close()
            return outcomes + self._not_recorded(task, todo, _unwritable(history.filename, e), ran=False)
        try:
            self._run_jobs(task, todo, outcomes)
        finally:  # also on Ctrl-C: the jobs that finished stay done
            self._record(chunk, todo, outcomes, history)
            if history is not planner.history:
                history.close()
        return outcomes

    def _run_jobs(self, task: Task, todo: list[PlannedJob], outcomes: list[JobOutcome]) -> None:
        """Run the jobs (tried again as ``retry_count`` says), appending their outcomes."""
        options, files = self.options, self.files
        touch = options.touch_files_only
        attempts = 1 if options.exceptions_terminate_immediately or touch else self.attempts(task)
        delay = options.retry_delay if attempts > 1 else 0.0

        def retried(run: Any, jobs: list[PlannedJob]) -> None:
            retrying(run, jobs, outcomes, attempts, delay, files.stopping)

        if options.backend != "local" and touch == 0 and not task.runs_in_main_process:
            # (cluster back ends only: pickling, dispatch, plugins)
            from .on_backend import run_jobs

            strategies = self.run.checkpoints_for(task)
            if strategies:
                retried(lambda jobs, out: run_checkpointed(
                    strategies, task, jobs, out, lambda ready: run_jobs(self.run, task, ready, out)
                ), todo)
            else:
                retried(lambda jobs, out: run_jobs(self.run, task, jobs, out), todo)  # a cluster: see on_backend
        elif options.multithread > 1 and len(todo) > 1:
            with ThreadPoolExecutor(options.multithread) as pool:
                try:
                    retried(lambda jobs, out: out.extend(pool.map(lambda j: self._run_job(task, j), jobs)), todo)
                except KeyboardInterrupt:
                    self.jobs_interrupted = self.jobs_running  # (the pool now waits for them to end)
                    raise
        else:
            in_driver = os.getpid() == self.run.pid
            for job in todo:
                if files.stopping():
                    break
                retried(lambda jobs, out: out.append(self._run_job(task, jobs[0])), [job])
                outcome = outcomes[-1]
                if outcome.ran and options.verbose >= 3 and in_driver:
                    self.run.logger.info("    %s completed" % job.name)  # right away, as Ruffus does
                    outcome.announced = True
                if outcome.signalled_break or (outcome.error and options.exceptions_terminate_immediately):
                    files.request_stop()
                    break

    def _record(self, chunk: Chunk, todo: list[PlannedJob], outcomes: list[JobOutcome], history: Any) -> None:
        """Record the jobs that finished: one commit, each job dated by its own end, as Ruffus records it."""
        task = chunk.task
        func = task.user_defined_work_func
        by_index = {job.index: job for job in todo}
        done = [o for o in outcomes if o.ran and not o.error]
        settled: list[float | None] = []
        try:
            clock_behind = hist.record_jobs(
                history, [(by_index[o.index].display, func) for o in done], settled, [o.finished for o in done]
            )
        except sqlite3.DatabaseError as e:  # (a full disk: nothing of the chunk was kept)
            unwritable = _unwritable(history.filename, e)
            failed = {o.index: o for o in self._not_recorded(task, [by_index[o.index] for o in done], unwritable)}
            outcomes[:] = [failed.get(o.index, o) if o.ran and not o.error else o for o in outcomes]
            done, settled, clock_behind = [], [], False
        if clock_behind and self.options.one_second_if_clock_behind:  # Ruffus then pauses a second before each task
            self.files.clock_is_behind()
        keep = self.run.stages.keeps_signatures(task) if chunk.keep_signatures is None else chunk.keep_signatures
        for o, when in zip(done, settled, strict=True):
            if keep:  # (in the worker: its cores, not the driver's)
                ran = by_index[o.index]
                o.signature = ran_signature(ran.params, o.started, when, ran.inputs_seen)

    def _not_recorded(self, task: Task, jobs: list[PlannedJob], unwritable: str, ran: bool = True) -> list[JobOutcome]:
        """The jobs fail: the job history could not be written (a full disk, a read-only or
        failing file system). No job starts after them in this run; each error names the
        file and what to do, and the next run redoes the jobs (their outputs have no record).
        """
        with suppress(OSError):  # (the run's temporary directory may be as full)
            self.files.request_stop()
        why = "(%s; %s)" % (
            unwritable,
            "the job ran, but it is not recorded: the next run redoes it" if ran else "the job did not run",
        )
        return [
            JobOutcome(j.index, j.name, ran=ran, error=(task.name, j.name, "ruffus_luigi.HistoryNotWritten", why, ""))
            for j in jobs
        ]

    def _inputs_made(self, task: Task, todo: list[PlannedJob], outcomes: list[JobOutcome]) -> list[PlannedJob]:
        """The jobs whose inputs exist; the others (planned early) do not run.

        Ruffus checks that a job's inputs exist when it makes the job, once the parent task
        is done: a parent job can succeed without writing an output it declared (or remove
        it, or leave a broken link). A job planned early is checked here instead, as
        Ruffus checks (``check_input_files_exist``, retrying for slow shared file systems);
        its outcome carries the error, which fails the run as Ruffus' does
        (``StagePlanner.missing_input_error``).
        """
        ready = []
        retries = FILE_CHECK_RETRY
        for job in todo:
            if job.early:
                try:
                    check_input_files_exist(job.params, retries)
                except rx.MissingInputFileError:
                    retries = 1  # (waited once already: the run fails anyway)
                    outcomes.append(JobOutcome(job.index, job.name, ran=False, missing_input=exception_tuple(task.name, "")))
                    continue
            ready.append(job)
        return ready

    def _refuse_reserved(self, task: Task, todo: list[PlannedJob], outcomes: list[JobOutcome]) -> list[PlannedJob]:
        """The jobs that may run: one writing a bookkeeping name fails unrun (``reserved_names``)."""
        check = reserved_names.check_outputs
        history_file = self.options.history_file
        try:  # all at once first: the usual case costs a substring test per output
            check(task.display_name, output_names(todo), history_file)
            return todo
        except reserved_names.ReservedOutput:
            pass
        allowed = []
        for job in todo:
            try:
                check(task.display_name, file_names(job.params[1:2]), history_file)
                allowed.append(job)
            except reserved_names.ReservedOutput:
                outcomes.append(JobOutcome(job.index, job.name, ran=False, error=exception_tuple(task.name, job.name)))
        return allowed

    def _run_job(self, task: Task, job: PlannedJob) -> JobOutcome:
        outcome = JobOutcome(job.index, "", ran=False, started=time.time())
        # touch_files_only spares only jobs with files: @mkdir still makes its directories,
        # @parallel and plain tasks still run (Ruffus' job wrappers do the same)
        touch_only = self.options.touch_files_only if task.kind not in RUN_WHEN_TOUCHING else 0
        strategies = self.run.checkpoints_for(task) if touch_only == 0 else []
        wrapped = strategy_job(task, job.params) if strategies else None
        self.jobs_running += 1
        try:
            if touch_only == 1:
                touch_outputs(job.params)
            elif touch_only == 0:
                func = task.user_defined_work_func
                named = task.parsed_args.get("named_extras") if task.command_str else None
                style = "output_only" if task.kind == "originate" else "io"
                if wrapped is None:
                    call_job(style, func, job.params, named)
                else:
                    with checkpointed(strategies, wrapped):
                        call_job(style, func, wrapped.params, named)
            outcome.ran = True
            outcome.finished = time.time()
        except rx.JobSignalledBreak:
            outcome.signalled_break = True
            outcome.name = job.name
            outcome.error = exception_tuple(task.name, job.name)
        except KeyboardInterrupt:
            raise
        except BaseException:
            outcome.name = job.name
            outcome.error = exception_tuple(task.name, job.name)
        self.jobs_running -= 1
        return outcome


def _unwritable(path: str, error: sqlite3.DatabaseError) -> str:
    """What the user reads when the job history could not be written: the file, the error, what to do."""
    return str(clear_errors.DamagedHistory(path, error))
