"""A run's plan and its execution (``RunState``): stages planned, jobs cut into chunks, chunks run.

``pipeline_run`` (``api.pipeline_run``) makes the ``RunState``; the Luigi adapter's generated
tasks call it: a stage (a whole Ruffus task) plans its jobs once its parents are done and
yields chunks; a chunk runs its jobs, in a forked Luigi worker process or in-process.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from typing import Any

from ..checkpoints import Checkpoint
from ..errors import clear_errors
from ..errors import exceptions as rx
from ..errors.job_errors import exception_tuple
from ..files.filenames import flatten_strings
from ..model.job_names import job_descriptor
from ..model.pipeline import Task
from ..planning import history as hist
from ..planning.plan import Session, generation_error
from ..planning.plan_cache import PlanCache, inputs_seen, ran_signature
from ..planning.strategy_choice import strategy_job
from ..settings import config
from . import driver, reserved_names
from .chunking import chunk_size, describe_jobs
from .claims import Claims, job_key
from .job import (
    FILE_CHECK_RETRY,
    JobOutcome,
    call_job,
    check_input_files_exist,
    touch_outputs,
)
from .retries import retrying
from .strategies import Intermediates, checkpointed, run_checkpointed


def log_at_level(logger: Any, level: int, verbose: int, message: str) -> bool:
    """Ruffus' rule: a message of level L shows when verbose >= L."""
    if level <= verbose:
        logger.info(message)
        return True
    return False


@dataclass
class PlannedJob:
    index: int
    params: tuple
    display: tuple
    needs_run: bool
    task: Task
    vap: int
    inputs_seen: tuple | None = None  # its inputs as its up-to-date check saw them (plan_cache.inputs_seen)
    early: bool = False  # planned before its input was remade: that the input exists is checked when it runs

    @property
    def name(self) -> str:
        """``Job  = [...]`` as Ruffus prints it; computed only when shown (it is not cheap)."""
        return job_descriptor(self.task.job_descriptor, self.display, self.vap)[0]

    @property
    def label(self) -> str:
        """``name`` with long file lists cut short: a Luigi parameter for people to read."""
        display = tuple(_cut_short(p) if i < 2 else p for i, p in enumerate(self.display))
        return job_descriptor(self.task.job_descriptor, display, self.vap)[0]


def _cut_short(files: Any, keep: int = 3) -> Any:
    if isinstance(files, (list, tuple)) and len(files) > keep + 1:
        return [*files[:keep], "... %d more" % (len(files) - keep)]
    return files


@dataclass
class Chunk:
    """A slice of one Ruffus task's jobs: the unit a Luigi worker runs."""

    state: RunState
    task: Task
    index: int
    jobs: list[PlannedJob]
    forced: bool
    description: str = ""
    done: bool = False
    recheck: bool = False
    outcomes: list[JobOutcome] = field(default_factory=list)
    luigi_task: Any = None
    upstream: list[Chunk] = field(default_factory=list)  # chunks making this one's inputs
    version: str = ""  # under a shared luigid: changes when the chunk's inputs change
    verified: bool = False  # under a shared luigid: its id is not one luigid listed as done before it was cut
    dispatched: bool = False  # this run's Luigi worker started it
    yielded: bool = False  # its stage yielded it (and is resumed once luigid lists it done)
    keep_signatures: bool | None = None  # set by a slot: the driver's plan cache wants them

    def complete(self) -> bool:
        if self.done:
            return True
        if os.path.exists(self.state.outcome_path(self)):  # run by a forked worker
            outcomes = self.state.outcomes(self)
            self.done = not any(o.error or o.signalled_break or o.missing_input for o in outcomes)
            return self.done
        if self.forced or (self.dispatched and os.getpid() == self.state.pid):
            return False  # (being run by this run: its outcome file will say; no disk recheck)
        if self.recheck or (self.state.shared_scheduler and os.getpid() != self.state.pid):
            # another run sharing our luigid may have done these jobs (a forked worker
            # checks the chunks it depends on this way before running its own)
            return self.done_on_disk()
        return not any(j.needs_run for j in self.jobs)

    def done_on_disk(self, history: Any = None) -> bool:
        """Do the files and the job history say now that its jobs are done (by any run)?

        Not while a chunk making its inputs is not done: until then its outputs only look
        up to date. ``history``: the driver's, refreshed already (else it is refreshed here).
        """
        if self.done:
            return True
        if self.forced:
            return False
        state = self.state
        forked = os.getpid() != state.pid
        if not forked and history is None:
            history = state.planner.history
            history.refresh()
        if not all(u.complete() or (not forked and u.done_on_disk(history)) for u in self.upstream):
            return False
        own = hist.open_job_history(state.history_path or ":memory:") if forked else None
        try:
            self.done = not any(
                state.planner.job_needs_update(self.task, j.params, history=own or history, explain=False)[0]
                for j in self.jobs
                if j.needs_run
            )
        finally:
            if own is not None:
                own.close()
        return self.done

    def jobs_by_index(self) -> dict[int, PlannedJob]:
        return {j.index: j for j in self.jobs}

    def to_run(self) -> list[PlannedJob]:
        """The jobs a worker running the chunk looks at: those out of date when it was planned."""
        return [j for j in self.jobs if j.needs_run or self.forced]

    def claim_keys(self, jobs: list[PlannedJob]) -> list[str]:
        """What names these jobs of the chunk among the claims of runs sharing luigid (``claims``)."""
        name = self.task._get_display_name()
        return [job_key(name, j.index, j.params) for j in jobs]

    def crashed(self, message: str) -> None:
        """The worker process died (killed, out of memory...): every job it had fails."""
        why = "(%s; its outputs are not trusted: the next run redoes the job)" % message
        self.outcomes = [
            JobOutcome(j.index, j.name, ran=False, error=(self.task._name, j.name, "ruffus_luigi.WorkerDied", why, ""))
            for j in self.jobs
            if j.needs_run or self.forced
        ]

    def run(self) -> None:
        forked = os.getpid() != self.state.pid
        if forked and not driver.die_with(self.state.pid):
            raise RuntimeError("the run's driver (pid %d) has ended: no job starts" % self.state.pid)
        with driver.stopped_by_sigterm() if forked else nullcontext():
            outcomes = self.state.execute(self)
        if forked:
            self.state.save_outcomes(self, outcomes)
        else:
            self.outcomes = outcomes
        self.done = not any(o.error or o.signalled_break or o.missing_input for o in outcomes)
        if not self.done:
            failed = [o for o in outcomes if o.error or o.missing_input]
            raise RuntimeError(
                "%d job(s) of Ruffus task %r failed: %s"
                % (len(failed), self.task._get_display_name(), ", ".join(o.name for o in failed))
            )


def _unwritable(path: str, error: sqlite3.DatabaseError) -> str:
    """What the user reads when the job history could not be written: the file, the error, what to do."""
    return str(clear_errors.DamagedHistory(path, error))


class RunState:
    """One ``pipeline_run``: its plan, options and what has happened so far."""

    def __init__(
        self,
        session: Session,
        incomplete: list[Task],
        logger: Any,
        verbose: int,
        vap: int,
        touch_files_only: int,
        workers: int,
        multithread: int,
        jobs_per_luigi_task: int | None,
        exceptions_terminate_immediately: bool,
        log_exceptions: bool,
        history_file: str | None,
    ) -> None:
        self.run_id = uuid.uuid4().hex[:12]
        self.pid = os.getpid()
        self.workdir = os.getcwd()
        self.session = session
        self.planner = session.planner
        self.incomplete = incomplete
        self.incomplete_set = set(incomplete)
        self.forced = set(session.forced)
        self.logger = logger
        self.verbose = verbose
        self.vap = vap
        self.touch_files_only = touch_files_only
        self.workers = workers
        self.multithread = multithread
        self.in_process = workers <= 1
        self.jobs_per_luigi_task = jobs_per_luigi_task
        self.terminate_immediately = exceptions_terminate_immediately
        self.log_exceptions = log_exceptions
        self.history_path = history_file
        self.run_dir = tempfile.mkdtemp(prefix="ruffus_luigi_")
        self.planned: dict[Task, list[Chunk]] = {}
        self.finished: set[Task] = set()
        self.errors: list[tuple] = []
        self.signalled_break: Any = False
        self.stop = False
        self.generation_error: Exception | None = None
        self.any_job_ran = False
        self.one_second_per_job = False
        # one_second_per_job left to Ruffus' choice: an output dated ahead of the clock turns it on
        self.one_second_if_clock_behind = False
        self.shared_scheduler = False
        self.scheduler_address = ""  # the luigid's URL, for messages
        self.scheduler_source = ""  # the setting that named it, for messages
        self.jobs_running = 0  # jobs under way in this process (an interrupted one stays counted)
        self.jobs_interrupted = 0  # jobs under way when Ctrl-C came (see launch)
        self.scheduler: Any = None  # the Luigi scheduler of the run (set by translate)
        self.claims: Claims | None = None  # under a shared luigid: jobs are claimed before they run
        self.deferred_logs: dict[Task, list[str]] = {}
        self.waits_for_parent: set[Task] = set()
        self.checkpoints: list[Checkpoint] = []  # the run's strategies (``history`` is implicit)
        self.task_checkpoints: dict[Task, list[Checkpoint]] = {}  # tasks that chose their own
        self.intermediates: Intermediates | None = None  # set when a strategy frees files
        self.progress: Any = None  # a progress.Progress while the run shows its progress
        self.retry_counts: dict[Task, int] = {}
        self._luigi_task_for: Callable[[Chunk], Any] | None = None  # see use_luigi_tasks

    def use_luigi_tasks(self, luigi_task_for: Callable[[Chunk], Any]) -> None:
        """How a chunk gets the Luigi task instance standing for it (``translate.register_chunk``),
        given when the run is handed to Luigi: chunks are cut only while Luigi runs the stages."""
        self._luigi_task_for = luigi_task_for

    # -- the graph Luigi sees --------------------------------------------------
    def parents_to_wait_for(self, task: Task) -> list[Task]:
        return [p for p in task._inward if p in self.incomplete_set]

    def early_parent(self, task: Task) -> Task | None:
        """The parent a task may start before, job by job, or None.

        A ``@transform`` of exactly one determinate task's outputs has one job per
        parent output, known once the parent is planned: each job can run as soon
        as the parent's job making its input is done. Anything that needs the whole
        parent (globs, posttask, active_if, custom up-to-date checks, other pending
        parents) or that prints per-job verdicts (verbose >= 3) waits for it.
        """
        parent = getattr(task, "streams_from", None)
        if (
            parent is None
            or task in self.waits_for_parent
            or parent not in self.incomplete_set
            or task.kind != "transform"
            or self.verbose >= 3
            or self.one_second_per_job
            or self.multithread > 1
            or parent.indeterminate_output
            or parent.posttask_functions
            or task.needs_update_func
            or task.active_if_checks
            or parent.active_if_checks
            or not task.uses_modify_time
        ):
            return None
        if any(q is not parent for q in self.parents_to_wait_for(task)):
            return None
        return parent

    def stage_requirements(self, task: Task) -> list[Task]:
        """Stages that must finish before this task's stage plans its jobs."""
        parent = self.early_parent(task)
        if parent is not None:
            return self.stage_requirements(parent)
        return self.parents_to_wait_for(task)

    def plan_with_early_parents(self, task: Task) -> list[Chunk] | None:
        """Plan the task, after planning (not finishing) the parents it may start before.

        None: some job can only be judged once its parent finished (see ``_plan_jobs``).
        """
        parent = self.early_parent(task)
        if parent is not None and self.plan_with_early_parents(parent) is None:
            return None
        return self.start_stage(task)

    def stage_done(self, task: Task) -> bool:
        return task not in self.incomplete_set or task in self.finished

    # -- stages -----------------------------------------------------------------
    def start_stage(self, task: Task) -> list[Chunk] | None:
        """Plan a Ruffus task's jobs and cut them into chunks (None: wait for the parent)."""
        if task in self.planned:
            return self.planned[task]
        if self.stop or self.stopping():
            raise RuntimeError("pipeline stopped after an earlier failure")
        forced = task in self.forced
        parent = self.early_parent(task)
        early = parent is not None and parent not in self.finished
        if not task.is_active:
            self._log(task, early, 2, "Inactive Task = %r" % task._get_display_name())
            task.output_filenames = None
            self.planned[task] = []
            return []
        self._log(
            task,
            early,
            1,
            "Task enters queue = %r %s"
            % (task._get_display_name(), ": Forced to rerun" if forced else ""),
        )
        if task.func_description:
            self._log(task, early, 2, "    " + task.func_description)
        task.output_filenames = None
        self.planner.history.refresh()  # workers recorded their jobs
        producers = self._producers(parent) if early else {}
        try:
            jobs = self._plan_jobs(task, forced, producers)
        except _WaitForParent:
            self.waits_for_parent.add(task)
            self.deferred_logs.pop(task, None)
            return None
        except Exception as e:
            self.stop = True
            self.generation_error = e if isinstance(e, rx.RethrownJobError) else generation_error(task)
            raise
        if any(j.needs_run for j in jobs) and self.one_second_per_job and task.kind != "originate":
            time.sleep(1.01)
        chunks = self._cut(task, jobs, forced, producers)
        if chunks and self.planner.cache is not None:
            # before any job runs: no stale verdict survives a crash
            self.planner.cache.forget(task, [j.index for c in chunks for j in c.jobs if j.needs_run or c.forced])
        self.planned[task] = chunks
        if self.progress is not None:
            self.progress.planned(task, chunks)
        return chunks

    def _log(self, task: Task, defer: bool, level: int, message: str) -> None:
        """Log now, or (a task planned before its parent finished) when Ruffus would."""
        if level > self.verbose:
            return
        if defer:
            self.deferred_logs.setdefault(task, []).append(message)
        else:
            self.logger.info(message)

    def _producers(self, parent: Task) -> dict[str, Chunk]:
        """Output file -> the parent's chunk that will (re)make it.

        Under a shared luigid, also one already done (by a run sharing it): the chunks
        depending on it then have the same version in both runs, so they share them too.
        """
        return {
            f: chunk
            for chunk in self.planned.get(parent, [])
            if self.shared_scheduler or not chunk.complete()
            for job in chunk.jobs
            if job.needs_run or chunk.forced
            for f in _strings(job.params[1:2])
        }

    def _plan_jobs(self, task: Task, forced: bool, producers: dict[str, Chunk]) -> list[PlannedJob]:
        planner = self.planner
        planned: list[PlannedJob] = []
        outputs: list = []
        source = planner.jobs(task) if task.job_source else iter([((), [])])
        cache = self._verdicts(task, forced)
        for i, (params, display) in enumerate(source):
            if len(params) >= 2:
                outputs.append(params[1])
            job = PlannedJob(i, params, display, True, task, self.vap)
            inputs = _strings(params[:1]) if producers else ()
            if producers and any(f in producers for f in inputs):  # (set.isdisjoint(dict) would walk the dict)
                # its input is about to be remade, so it will be newer than the output ...
                if any(o in inputs or os.path.islink(o) for o in _strings(params[1:2])):
                    raise _WaitForParent  # ... unless the output is (a link to) an input
                job.needs_run = job.early = True
            elif cache is not None and cache.holds(task, i, params, planner.seen):
                job.needs_run = False
            else:
                job.needs_run = self._needs_run(task, job, forced)
            planned.append(job)
        if not task.indeterminate_output:
            task.output_filenames = outputs
        return planned

    def _verdicts(self, task: Task, forced: bool) -> PlanCache | None:
        """``Planner.verdicts``, unless ``_needs_run`` must log each verdict or the task is forced."""
        return None if forced or self.verbose >= 5 else self.planner.verdicts(task)

    def keeps_signatures(self, task: Task) -> bool:
        """Does the plan cache want the files of this task's jobs that run (``ran_signature``)?"""
        cache = self.planner.cache
        return cache is not None and task in cache.current

    def _needs_run(self, task: Task, job: PlannedJob, forced: bool) -> bool:
        log, verbose = self.logger, self.verbose
        if forced:
            if verbose >= 3:
                log.info("    force task %s to rerun " % job.name)
            return True
        checks = task.uses_modify_time or task.kind == "mkdir" or task.needs_update_func
        if not checks:
            if verbose >= 3:
                log.info("    %s no function to check if up-to-date " % job.name)
            return True
        seen: dict[str, Any] = {} if self.planner.seen is None else self.planner.seen
        needs, msg = self.planner.job_needs_update(task, job.params, verbose > 6, explain=verbose >= 4, stats=seen)
        if not needs:
            if verbose >= 5:
                log.info("    %s unnecessary: already %s" % (job.name, msg))
            return False
        if verbose >= 4:
            log.info("    %s %s " % (job.name, msg))
        elif verbose >= 3:
            log.info("    %s" % job.name)
        if task.uses_modify_time:
            check_input_files_exist(job.params, seen=seen)
            if self.keeps_signatures(task):
                job.inputs_seen = inputs_seen(job.params, seen)
        return True

    def _cut(self, task: Task, jobs: list[PlannedJob], forced: bool, producers: dict[str, Chunk]) -> list[Chunk]:
        """Chunks of a task's jobs, each knowing the parent chunks making its inputs."""
        if not any(j.needs_run for j in jobs):
            return []
        group = config.job_group_size(task._get_display_name(), task._name) if getattr(self, "backend", "local") != "local" else 1
        size = len(jobs) if self.multithread > 1 else chunk_size(len(jobs), self.jobs_per_luigi_task, self.workers, group)
        chunks = []
        for start in range(0, len(jobs), size):
            part = jobs[start : start + size]
            chunk = Chunk(self, task, start // size, part, forced)
            chunk.description = describe_jobs(part[0].label, part[-1].label, len(part))
            if producers:
                ups = {id(c): c for j in part for f in _strings(j.params[:1]) if (c := producers.get(f)) is not None}
                chunk.upstream = list(ups.values())
            if self.shared_scheduler:
                chunk.version = _version(chunk)
            chunk.luigi_task = self._luigi_task_for(chunk)
            chunks.append(chunk)
        if self.shared_scheduler:
            self.renew_finished(chunks)
        return chunks

    def renew_finished(self, chunks: list[Chunk], all_of_them: bool = False) -> None:
        """Give a new identity to chunks with work left that luigid lists as done.

        A chunk's id repeats from run to run (``_version``), and luigid ignores a done task
        made pending again within ``stable_done_cooldown_secs``: such a chunk would not be
        handed out. One query per stage (when it is cut) lists the done ones. A done id
        whose jobs the files and history show done is the work of a run sharing our luigid
        (the same chunks, started together): the chunk is done, under that id. Otherwise
        it was an earlier run's, and the chunk gets a new version made from the done task's
        last update, which every run sees alike (no run can make that task pending again
        while it is listed as done), so runs started together still share it. The new id
        may be listed as done too (each rerun adds a link): the same rule is followed along
        the chain. A chunk so checked is ``verified``: when luigid later reports it done,
        whoever did it shared our id. A stage that luigid resumed while chunks have work
        left (``all_of_them``: their ids could not be checked) renews those first.
        """
        if not chunks:
            return
        if all_of_them:
            for chunk in chunks:
                self._renew(chunk, "resumed")
        try:
            done = self.scheduler.task_list(status="DONE", search=chunks[0].luigi_task.task_family, limit=False)
        except Exception:  # (an old or unreachable luigid: a resumed stage renews them)
            return
        if not isinstance(done, dict):
            return
        history = self.planner.history
        history.refresh()
        for chunk in chunks:
            seen = set()
            info = done.get(chunk.luigi_task.task_id)
            while isinstance(info, dict) and chunk.luigi_task.task_id not in seen:
                seen.add(chunk.luigi_task.task_id)
                if chunk.done_on_disk(history):
                    break
                self._renew(chunk, info.get("last_updated"))
                info = done.get(chunk.luigi_task.task_id)
            chunk.verified = True

    def _renew(self, chunk: Chunk, when: Any) -> None:
        chunk.version = hashlib.md5(("%s done at %s" % (chunk.version, when)).encode()).hexdigest()[:10]
        chunk.luigi_task = self._luigi_task_for(chunk)

    def finish_stage(self, task: Task) -> None:
        """Log the jobs' completion, run ``@posttask`` and release the task's dependants."""
        if task in self.finished:
            return
        chunks = self.planned.get(task, [])
        ran = False
        cache = self.planner.cache
        for chunk in chunks:
            by_index = chunk.jobs_by_index()
            for outcome in self.outcomes(chunk):
                if outcome.ran:
                    ran = True
                    self.any_job_ran = True
                    job = by_index[outcome.index]
                    if self.verbose >= 3 and not outcome.announced:
                        self.logger.info("    %s completed" % job.name)
                    if cache is not None and outcome.signature is not None:
                        cache.remember_signature(task, job.params, outcome.signature)
        if ran and self.one_second_if_clock_behind and not self.one_second_per_job:
            # outputs dated ahead of the clock (a file server's): as Ruffus, the tasks from
            # now on start a second apart, so that their outputs date later
            self.one_second_per_job = os.path.exists(self.clock_behind_path)
        if task.is_active:
            for f in task.posttask_functions:
                f()
            if task.indeterminate_output:
                task.output_filenames = None
            name = task._get_display_name()
            if ran or chunks:
                log_at_level(self.logger, 1, self.verbose, "Completed Task = %r " % name)
            else:
                log_at_level(self.logger, 1, self.verbose, "Uptodate Task = %r" % name)
                self._log_warnings(task)
        self.finished.add(task)
        if self.progress is not None:
            self.progress.task_finished(task)
        if self.intermediates is not None:
            self.intermediates.stage_finished(task)
        for child in [c for c in self.deferred_logs if self.early_parent(c) is task]:
            for message in self.deferred_logs.pop(child):
                self.logger.info(message)

    def _log_warnings(self, task: Task) -> None:
        warnings = self.planner.warnings.get(task)
        if self.verbose < 1 or not warnings:
            return
        pad = " " * 8
        for msg in warnings:
            messages = [msg.replace("\n", "\n" + pad)]
            if self.verbose >= 4:
                for job_msg in self.planner.match_failures.get(task, {}):
                    messages.append(pad + "Job Warning: Input substitution failed:")
                    messages.append(pad + "  " + job_msg.replace("\n", "\n" + pad + "  "))
            self.logger.warning(
                "    In Task %r:\n%s%s " % (task._get_display_name(), pad, "\n".join(messages))
            )

    # -- chunks -------------------------------------------------------------------
    @property
    def stop_path(self) -> str:
        """A file whose presence tells every worker to start no more jobs."""
        return os.path.join(self.run_dir, "STOP")

    def request_stop(self) -> None:
        open(self.stop_path, "w").close()

    @property
    def clock_behind_path(self) -> str:
        """A file whose presence says an output was dated ahead of the clock (for every worker)."""
        return os.path.join(self.run_dir, "CLOCK_BEHIND")

    def stopping(self) -> bool:
        """Start no more jobs: a job asked the run to stop, or (in a worker) the driver is gone."""
        return os.path.exists(self.stop_path) or (os.getpid() != self.pid and os.getppid() != self.pid)

    def outcome_path(self, chunk: Chunk) -> str:
        return os.path.join(self.run_dir, "%s-%d.pickle" % (id(chunk.task), chunk.index))

    def outcomes(self, chunk: Chunk) -> list[JobOutcome]:
        if not chunk.outcomes and os.path.exists(self.outcome_path(chunk)):
            with open(self.outcome_path(chunk), "rb") as f:
                chunk.outcomes = pickle.load(f)
        return chunk.outcomes

    def save_outcomes(self, chunk: Chunk, outcomes: list[JobOutcome]) -> None:
        """In a worker: the chunk's outcomes for the driver, whole or not at all (renamed into
        place: a full temporary directory must not leave a truncated file for it to read)."""
        path = self.outcome_path(chunk)
        try:
            with open(path + ".part", "wb") as f:
                pickle.dump(outcomes, f)
            os.replace(path + ".part", path)
        except OSError:
            with suppress(OSError):
                os.unlink(path + ".part")
            raise

    def temporary_space_full(self) -> bool:
        """Whether the run's temporary directory (``TMPDIR``) has no room left (asked once a run has failed)."""
        try:
            found = os.statvfs(self.run_dir)
        except OSError:
            return False
        return found.f_bavail == 0 or found.f_favail == 0

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
        task = chunk.task
        backend = getattr(self, "backend", None)
        if backend is None:  # a run not started by pipeline_run (plain Luigi): resolve once
            backend = self.backend = config.backend()
        try:
            history = self.planner.history if os.getpid() == self.pid else hist.open_job_history(self.history_path or ":memory:")
        except clear_errors.DamagedHistory as e:
            return self._not_recorded(task, todo, str(e), ran=False)
        if self.shared_scheduler and not chunk.forced:
            # another run against the same luigid may have run some of them meanwhile
            if history is self.planner.history:
                history.refresh()
            todo = [j for j in todo if self.planner.job_needs_update(task, j.params, history=history, explain=False)[0]]
        outcomes: list[JobOutcome] = []
        if any(j.early for j in todo):
            # (once the run stops no job starts: their inputs are not waited for, nor reported missing)
            todo = [] if self.stopping() else self._inputs_made(task, todo, outcomes)
            if todo and self.one_second_if_clock_behind and os.path.exists(self.clock_behind_path):
                # planned before the files ran ahead of the clock: the pause Ruffus makes
                # before a task's jobs from then on (``start_stage``) is made here
                time.sleep(1.01)
        todo = self._refuse_reserved(task, todo, outcomes)
        try:
            # an interrupted job must not leave an old record vouching for a half-written output
            hist.forget_jobs(history, [job.display for job in todo])
        except sqlite3.DatabaseError as e:
            if history is not self.planner.history:
                history.close()
            return outcomes + self._not_recorded(task, todo, _unwritable(history.filename, e), ran=False)
        attempts = 1 if self.terminate_immediately or self.touch_files_only else self.attempts(task)
        delay = config.retry_delay() if attempts > 1 else 0.0

        def retried(run: Any, jobs: list[PlannedJob]) -> None:
            retrying(run, jobs, outcomes, attempts, delay, self.stopping)

        try:
            if backend != "local" and self.touch_files_only == 0 and not task._run_in_main_process:
                # (cluster back ends only: pickling, dispatch, plugins)
                from .on_backend import run_jobs

                strategies = self.checkpoints_for(task)
                if strategies:
                    retried(lambda jobs, out: run_checkpointed(
                        strategies, task, jobs, out, lambda ready: run_jobs(self, task, ready, out)
                    ), todo)
                else:
                    retried(lambda jobs, out: run_jobs(self, task, jobs, out), todo)  # a cluster: see on_backend
            elif self.multithread > 1 and len(todo) > 1:
                with ThreadPoolExecutor(self.multithread) as pool:
                    try:
                        retried(lambda jobs, out: out.extend(pool.map(lambda j: self._run_job(task, j), jobs)), todo)
                    except KeyboardInterrupt:
                        self.jobs_interrupted = self.jobs_running  # (the pool now waits for them to end)
                        raise
            else:
                for job in todo:
                    if self.stopping():
                        break
                    retried(lambda jobs, out: out.append(self._run_job(task, jobs[0])), [job])
                    outcome = outcomes[-1]
                    if outcome.ran and self.verbose >= 3 and os.getpid() == self.pid:
                        self.logger.info("    %s completed" % job.name)  # right away, as Ruffus does
                        outcome.announced = True
                    if outcome.signalled_break or (outcome.error and self.terminate_immediately):
                        self.request_stop()
                        break
        finally:  # also on Ctrl-C: the jobs that finished stay done
            func = task.user_defined_work_func
            by_index = {job.index: job for job in todo}
            done = [o for o in outcomes if o.ran and not o.error]
            settled: list[float | None] = []
            try:
                clock_behind = hist.record_jobs(  # one commit, each job dated by its own end, as Ruffus records it
                    history, [(by_index[o.index].display, func) for o in done], settled, [o.finished for o in done]
                )
            except sqlite3.DatabaseError as e:  # (a full disk: nothing of the chunk was kept)
                unwritable = _unwritable(history.filename, e)
                failed = {o.index: o for o in self._not_recorded(task, [by_index[o.index] for o in done], unwritable)}
                outcomes[:] = [failed.get(o.index, o) if o.ran and not o.error else o for o in outcomes]
                done, settled, clock_behind = [], [], False
            if clock_behind and self.one_second_if_clock_behind:  # Ruffus then pauses a second before each task
                open(self.clock_behind_path, "w").close()  # (for the driver and every worker)
            keep = self.keeps_signatures(task) if chunk.keep_signatures is None else chunk.keep_signatures
            for o, when in zip(done, settled, strict=True):
                if keep:  # (in the worker: its cores, not the driver's)
                    ran = by_index[o.index]
                    o.signature = ran_signature(ran.params, o.started, when, ran.inputs_seen)
            if history is not self.planner.history:
                history.close()
        return outcomes

    def _not_recorded(self, task: Task, jobs: list[PlannedJob], unwritable: str, ran: bool = True) -> list[JobOutcome]:
        """The jobs fail: the job history could not be written (a full disk, a read-only or
        failing file system). No job starts after them in this run; each error names the
        file and what to do, and the next run redoes the jobs (their outputs have no record).
        """
        with suppress(OSError):  # (the run's temporary directory may be as full)
            self.request_stop()
        why = "(%s; %s)" % (
            unwritable,
            "the job ran, but it is not recorded: the next run redoes it" if ran else "the job did not run",
        )
        return [
            JobOutcome(j.index, j.name, ran=ran, error=(task._name, j.name, "ruffus_luigi.HistoryNotWritten", why, ""))
            for j in jobs
        ]

    def _inputs_made(self, task: Task, todo: list[PlannedJob], outcomes: list[JobOutcome]) -> list[PlannedJob]:
        """The jobs whose inputs exist; the others (planned early) do not run.

        Ruffus checks that a job's inputs exist when it makes the job, once the parent task
        is done: a parent job can succeed without writing an output it declared (or remove
        it, or leave a broken link). A job planned early is checked here instead, as
        Ruffus checks (``check_input_files_exist``, retrying for slow shared file systems);
        its outcome carries the error, which fails the run as Ruffus' does (``missing_input_error``).
        """
        ready = []
        retries = FILE_CHECK_RETRY
        for job in todo:
            if job.early:
                try:
                    check_input_files_exist(job.params, retries)
                except rx.MissingInputFileError:
                    retries = 1  # (waited once already: the run fails anyway)
                    outcomes.append(JobOutcome(job.index, job.name, ran=False, missing_input=exception_tuple(task._name, "")))
                    continue
            ready.append(job)
        return ready

    def missing_input_error(self) -> rx.RethrownJobError | None:
        """Ruffus' error for the first task (in run order) with a job whose input was missing.

        Ruffus makes a task's jobs in order once its parent is done and stops at the first
        one whose input is missing; jobs planned early found it when about to run, in
        whatever order: the first of them in job order names the file.
        """
        for task in self.incomplete:
            found = sorted(
                (o.index, o.missing_input)
                for chunk in self.planned.get(task, [])
                for o in self.outcomes(chunk)
                if o.missing_input is not None
            )
            if found:
                err = rx.RethrownJobError([found[0][1]])
                err.specify_task(task, "Exceptions generating parameters")
                return err
        return None

    def attempts(self, task: Task) -> int:
        """How many times a failing job of this task is tried (``retry_count``, read once per task)."""
        found = self.retry_counts.get(task)
        if found is None:
            found = self.retry_counts[task] = config.retry_count(task._get_display_name(), task._name)
        return found

    def checkpoints_for(self, task: Task) -> list[Checkpoint]:
        return self.task_checkpoints.get(task, self.checkpoints)

    def _refuse_reserved(self, task: Task, todo: list[PlannedJob], outcomes: list[JobOutcome]) -> list[PlannedJob]:
        """The jobs that may run: one writing a bookkeeping name fails unrun (``reserved_names``)."""
        check = reserved_names.check_outputs
        try:  # all at once first: the usual case costs a substring test per output
            check(task._get_display_name(), _outputs(todo), self.history_path)
            return todo
        except reserved_names.ReservedOutput:
            pass
        allowed = []
        for job in todo:
            try:
                check(task._get_display_name(), _strings(job.params[1:2]), self.history_path)
                allowed.append(job)
            except reserved_names.ReservedOutput:
                outcomes.append(JobOutcome(job.index, job.name, ran=False, error=exception_tuple(task._name, job.name)))
        return allowed

    def _run_job(self, task: Task, job: PlannedJob) -> JobOutcome:
        outcome = JobOutcome(job.index, "", ran=False, started=time.time())
        # touch_files_only spares only jobs with files: @mkdir still makes its directories,
        # @parallel and plain tasks still run (Ruffus' job wrappers do the same)
        touch_only = self.touch_files_only if task.kind not in RUN_WHEN_TOUCHING else 0
        strategies = self.checkpoints_for(task) if touch_only == 0 else []
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
            outcome.error = exception_tuple(task._name, job.name)
        except KeyboardInterrupt:
            raise
        except BaseException:
            outcome.name = job.name
            outcome.error = exception_tuple(task._name, job.name)
        self.jobs_running -= 1
        return outcome


def _version(chunk: Chunk) -> str:
    """Part of a chunk's Luigi task id under luigid: its upstream chunks' ids.

    Runs started together make the same chunks, so they share them. A rerun's chunk gets
    the id it had last time; ``RunState.renew_finished`` gives it a new one while luigid
    still lists that one as done.
    """
    if not chunk.upstream:
        return ""
    return hashlib.md5("\n".join(u.luigi_task.task_id for u in chunk.upstream).encode()).hexdigest()[:10]


RUN_WHEN_TOUCHING = ("mkdir", "parallel", "task")
"""Task kinds whose jobs run as usual under ``touch_files_only``: no output files to touch."""


class _WaitForParent(Exception):
    """A job planned early cannot be judged before its parent task has finished."""


def _outputs(jobs: list[PlannedJob]) -> Iterator[str]:
    """The output file names of these jobs (most jobs have one string: no flattening)."""
    for job in jobs:
        output = job.params[1] if len(job.params) >= 2 else None
        if isinstance(output, str):
            yield output
        elif output is not None:
            yield from _strings([output])


def _strings(params: Any) -> list[str]:
    """The file names in (part of) a job's parameters."""
    return [f for f in flatten_strings(params) if isinstance(f, str)]
