"""A run's stages: when a Ruffus task may be planned, its jobs judged and cut into chunks, its end.

No Luigi here. The Luigi adapter's generated stage tasks call ``StagePlanner``: a stage asks
what it requires (``stage_requirements``), plans its jobs once those are done
(``plan_with_early_parents``: a ``@transform`` may start before its parent finishes, job by
job), yields the chunks, and ends (``finish_stage``: Ruffus' messages, ``@posttask``). The
adapter hands in, once, how a chunk gets its Luigi task and how luigid is asked which
chunks it lists as done (``connect``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import exceptions as rx
from ..model.task import Task
from ..planning.plan_cache import PlanCache, inputs_seen
from ..planning.planner import generation_error
from ..settings import config
from . import progress
from .chunking import chunk_size, describe_jobs
from .chunks import Chunk, PlannedJob, file_names
from .job import check_input_files_exist

if TYPE_CHECKING:
    from .run import RunState


def log_at_level(logger: Any, level: int, verbose: int, message: str) -> bool:
    """Ruffus' rule: a message of level L shows when verbose >= L."""
    if level <= verbose:
        logger.info(message)
        return True
    return False


class _WaitForParent(Exception):
    """A job planned early cannot be judged before its parent task has finished."""


class StagePlanner:
    """The stages of one run: which are planned, their chunks, which have finished."""

    def __init__(self, run: RunState, incomplete: list[Task], forced: list[Task]) -> None:
        self.run = run
        self.options = run.options
        self.planner = run.planner
        self.logger = run.logger
        self.incomplete = incomplete
        self.incomplete_set = set(incomplete)
        self.forced = set(forced)
        self.planned: dict[Task, list[Chunk]] = {}
        self.finished: set[Task] = set()
        self.stop = False  # planning failed: no stage plans after it
        self.generation_error: Exception | None = None  # why planning failed, as Ruffus reports it
        self.any_job_ran = False
        # a second's pause before a task's jobs: from the options, or once outputs date ahead of the clock
        self.one_second_per_job = self.options.one_second_per_job
        self.deferred_logs: dict[Task, list[str]] = {}
        self.waits_for_parent: set[Task] = set()
        self._luigi_task_for: Callable[[Chunk], Any] | None = None
        self._done_in_luigid: Callable[[str], Any] = _nobody_asked

    def connect(self, luigi_task_for: Callable[[Chunk], Any], done_in_luigid: Callable[[str], Any] | None = None) -> None:
        """Given when the run is handed to Luigi (chunks are cut only while Luigi runs the stages):
        how a chunk gets its Luigi task instance (``translate.register_chunk``), and the
        scheduler's ``task_list`` of DONE tasks of a family (raises when it cannot be asked)."""
        self._luigi_task_for = luigi_task_for
        self._done_in_luigid = done_in_luigid or _nobody_asked

    def forget(self) -> None:
        """The run is over: drop the chunks (they and the run refer to each other)."""
        self.planned.clear()

    # -- the graph Luigi sees --------------------------------------------------
    def parents_to_wait_for(self, task: Task) -> list[Task]:
        return [p for p in task.parents if p in self.incomplete_set]

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
            or self.options.verbose >= 3
            or self.one_second_per_job
            or self.options.multithread > 1
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
        if self.stop or self.run.files.stopping():
            raise RuntimeError("pipeline stopped after an earlier failure")
        forced = task in self.forced
        parent = self.early_parent(task)
        early = parent is not None and parent not in self.finished
        if not task.is_active:
            self._log(task, early, 2, "Inactive Task = %r" % task.display_name)
            task.output_filenames = None
            self.planned[task] = []
            return []
        self._log(
            task,
            early,
            1,
            "Task enters queue = %r %s"
            % (task.display_name, ": Forced to rerun" if forced else ""),
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
        progress.stage_planned(self.run, task, chunks)
        return chunks

    def _log(self, task: Task, defer: bool, level: int, message: str) -> None:
        """Log now, or (a task planned before its parent finished) when Ruffus would."""
        if level > self.options.verbose:
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
        shared = self.options.scheduler.shared
        return {
            f: chunk
            for chunk in self.planned.get(parent, [])
            if shared or not chunk.complete()
            for job in chunk.jobs
            if job.needs_run or chunk.forced
            for f in file_names(job.params[1:2])
        }

    def _plan_jobs(self, task: Task, forced: bool, producers: dict[str, Chunk]) -> list[PlannedJob]:
        planner = self.planner
        planned: list[PlannedJob] = []
        outputs: list = []
        source = planner.jobs(task) if task.job_source else iter([((), [])])
        cache = self._verdicts(task, forced)
        vap = self.options.verbose_abbreviated_path
        for i, (params, display) in enumerate(source):
            if len(params) >= 2:
                outputs.append(params[1])
            job = PlannedJob(i, params, display, True, task, vap)
            inputs = file_names(params[:1]) if producers else ()
            if producers and any(f in producers for f in inputs):  # (set.isdisjoint(dict) would walk the dict)
                # its input is about to be remade, so it will be newer than the output ...
                if any(o in inputs or os.path.islink(o) for o in file_names(params[1:2])):
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
        return None if forced or self.options.verbose >= 5 else self.planner.verdicts(task)

    def keeps_signatures(self, task: Task) -> bool:
        """Does the plan cache want the files of this task's jobs that run (``ran_signature``)?"""
        cache = self.planner.cache
        return cache is not None and task in cache.current

    def _needs_run(self, task: Task, job: PlannedJob, forced: bool) -> bool:
        log, verbose = self.logger, self.options.verbose
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
        options = self.options
        shared = options.scheduler.shared
        if options.multithread > 1:
            size = len(jobs)
        else:
            # (on a cluster back end a chunk may hold a group of jobs run as one cluster job)
            group = config.job_group_size(task.display_name, task.name) if options.backend != "local" else 1
            size = chunk_size(len(jobs), options.jobs_per_luigi_task, options.multiprocess, group)
        chunks = []
        for start in range(0, len(jobs), size):
            part = jobs[start : start + size]
            ups = {id(c): c for j in part for f in file_names(j.params[:1]) if (c := producers.get(f)) is not None} if producers else {}
            description = describe_jobs(part[0].label, part[-1].label, len(part))
            chunk = Chunk(self.run, task, start // size, part, forced, description, upstream=list(ups.values()))
            chunk.identify(self._luigi_task_for, versioned=shared)
            chunks.append(chunk)
        if shared:
            self.renew_finished(chunks)
        return chunks

    def renew_finished(self, chunks: list[Chunk], all_of_them: bool = False) -> None:
        """Give a new identity to chunks with work left that luigid lists as done.

        A chunk's id repeats from run to run (``Chunk.identify``), and luigid ignores a done task
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
                chunk.renew("resumed", self._luigi_task_for)
        try:
            done = self._done_in_luigid(chunks[0].luigi_task.task_family)
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
                chunk.renew(info.get("last_updated"), self._luigi_task_for)
                info = done.get(chunk.luigi_task.task_id)
            chunk.checked_in_luigid()

    def finish_stage(self, task: Task) -> None:
        """Log the jobs' completion, run ``@posttask`` and release the task's dependants."""
        if task in self.finished:
            return
        chunks = self.planned.get(task, [])
        ran = False
        cache = self.planner.cache
        verbose, logger = self.options.verbose, self.logger
        for chunk in chunks:
            by_index = chunk.jobs_by_index()
            for outcome in chunk.results():
                if outcome.ran:
                    ran = True
                    self.any_job_ran = True
                    job = by_index[outcome.index]
                    if verbose >= 3 and not outcome.announced:
                        logger.info("    %s completed" % job.name)
                    if cache is not None and outcome.signature is not None:
                        cache.remember_signature(task, job.params, outcome.signature)
        if ran and self.options.one_second_if_clock_behind and not self.one_second_per_job:
            # outputs dated ahead of the clock (a file server's): as Ruffus, the tasks from
            # now on start a second apart, so that their outputs date later
            self.one_second_per_job = self.run.files.clock_was_behind()
        if task.is_active:
            for f in task.posttask_functions:
                f()
            if task.indeterminate_output:
                task.output_filenames = None
            name = task.display_name
            if ran or chunks:
                log_at_level(logger, 1, verbose, "Completed Task = %r " % name)
            else:
                log_at_level(logger, 1, verbose, "Uptodate Task = %r" % name)
                self._log_warnings(task)
        self.finished.add(task)
        progress.task_finished(self.run, task)
        if self.run.intermediates is not None:
            self.run.intermediates.stage_finished(task)
        for child in [c for c in self.deferred_logs if self.early_parent(c) is task]:
            for message in self.deferred_logs.pop(child):
                logger.info(message)

    def _log_warnings(self, task: Task) -> None:
        warnings = self.planner.warnings.get(task)
        if self.options.verbose < 1 or not warnings:
            return
        pad = " " * 8
        for msg in warnings:
            messages = [msg.replace("\n", "\n" + pad)]
            if self.options.verbose >= 4:
                for job_msg in self.planner.match_failures.get(task, {}):
                    messages.append(pad + "Job Warning: Input substitution failed:")
                    messages.append(pad + "  " + job_msg.replace("\n", "\n" + pad + "  "))
            self.logger.warning(
                "    In Task %r:\n%s%s " % (task.display_name, pad, "\n".join(messages))
            )

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
                for o in chunk.results()
                if o.missing_input is not None
            )
            if found:
                err = rx.RethrownJobError([found[0][1]])
                err.specify_task(task, "Exceptions generating parameters")
                return err
        return None


def _nobody_asked(family: str) -> Any:
    """No scheduler to ask (a run Luigi was not handed yet)."""
    raise LookupError("no scheduler")
