"""Run a planned ``pipeline_run`` through Luigi: scheduler choice, build, errors.

Kept apart from ``api.pipeline_run`` so that importing ruffus-luigi, printing a pipeline or a
run with nothing to do never imports Luigi (which takes about 0.3 s).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
from typing import Any

import luigi

from ..errors import clear_errors
from ..errors import exceptions as rx
from ..execution import progress
from ..execution.run import RunState
from ..model.pipeline import lookup_pipeline, lookup_tasks_from_user_specified_names
from ..model.task import Task
from ..settings import luigi_settings  # noqa: F401 - [ruffus_luigi] known to Luigi
from . import foreign, luigi_private, luigid_http, luigid_view, translate, worker


def luigi_task(target: Any, pipeline: Any = None) -> luigi.Task:
    """The Luigi task standing for a whole Ruffus task, for a hand-written task to ``require()``.

    ``target`` is what ``pipeline_run(target_tasks=...)`` accepts: a decorated function,
    a task name (``"pipeline::task"``) or a Task. The plan is made when Luigi first
    asks whether the task is complete. Inside a ``pipeline_run`` that runs the task (a Luigi
    task the pipeline takes as input requiring it) it is that run's stage. Run it with
    ``workers=1``, or pass ``worker_scheduler_factory=ruffus_luigi.worker_scheduler_factory()``
    to ``luigi.build`` so Ruffus jobs may run in several worker processes.
    """
    default_name = lookup_pipeline(pipeline).name if pipeline is not None else "main"
    task = lookup_tasks_from_user_specified_names("Target", [target], default_name)[0]
    return translate.stage_of(task, translate.run_of(task) or translate.default_state())


def worker_scheduler_factory() -> worker.WorkerSchedulerFactory:
    """Luigi's worker/scheduler factory with ruffus-luigi's worker (plans in-process)."""
    return worker.WorkerSchedulerFactory()


def execute(state: RunState) -> None:
    """Build the stages of the tasks to run with Luigi; raise Ruffus' errors."""
    stages = state.stages
    factory = worker.WorkerSchedulerFactory(_resources(state), state.options.scheduler_timeout)
    translate.register_run(state, factory.done_tasks)
    shown = None
    try:
        shown = progress.start(state)
        required = {p for t in state.incomplete for p in stages.stage_requirements(t)}
        # only stages nothing else requires: Luigi would tell the scheduler of a shared one once per root
        roots = [translate.stage_of(t, state) for t in state.incomplete if t not in required]
        if roots:
            try:
                _luigi_build(roots, state, factory)
            except KeyboardInterrupt:
                state.executor.interrupted(_jobs_running(state, factory.worker))
                _stop_workers()
                raise
            except luigid_http.SchedulerUnreachable as e:
                _stop_workers()
                raise clear_errors.SchedulerUnavailable(_unreachable(e, state)) from None
        errors, signalled_break = _collect_errors(state)
        errors += foreign.failures(state, bool(errors), factory.scheduler)  # a hand-written Luigi input that failed
        failure = stages.generation_error or stages.missing_input_error()
        if failure is not None:
            if not errors and not stages.any_job_ran:
                raise failure
            kind = type(failure)
            module = "ruffus.ruffus_exceptions" if kind.__module__ == rx.__name__ else kind.__module__
            # Ruffus puts the exception's class here, printed as "<class 'module.Name'>"
            errors.append((None, None, "<class '%s.%s'>" % (module, kind.__name__), failure, ""))
        if errors:
            err = rx.RethrownJobError(errors)
            if signalled_break is not None:
                err.specify_task(signalled_break, "Exceptions running jobs")
            if roots:
                state.logger.info(run_summary(state))
            raise err
        unfinished = [t for t in state.incomplete if t not in stages.finished]
        if roots and unfinished:
            raise rx.RethrownJobError(
                [
                    (
                        t.name,
                        "",
                        "ruffus_luigi.LuigiError",
                        _not_run_reason(state, factory),
                        run_summary(state),
                    )
                    for t in unfinished[:1]
                ]
            )
    finally:
        if shown is not None:
            shown.close()
        translate.REGISTRY.forget_run(state)
        shutil.rmtree(state.files.run_dir, ignore_errors=True)


def run_summary(state: RunState) -> str:
    """What the run did, by Ruffus task: what is shown in place of Luigi's execution summary.

    Luigi's names the generated tasks with their internal parameters (``chunk=-1``,
    ``run_id=...``) and its own states ("not granted run permission"), none of which a
    Ruffus user wrote or can act on.
    """
    lines = ["ruffus-luigi: what this run did, by Ruffus task:"]
    stages = state.stages
    for task in state.incomplete:
        name = task.display_name
        chunks = stages.planned.get(task)
        if chunks is None:
            waiting = [repr(p.display_name) for p in stages.parents_to_wait_for(task) if p not in stages.finished]
            lines.append("    %r: not started%s" % (name, " (waits for %s)" % ", ".join(waiting) if waiting else ""))
            continue
        todo = done = failed = 0
        for chunk in chunks:
            todo += sum(1 for j in chunk.jobs if j.needs_run or chunk.forced)
            for outcome in chunk.results():
                failed += bool(outcome.error)
                done += outcome.ran and not outcome.error
        counts = "%d of %d jobs done, %d failed, %d not run" % (done, todo, failed, max(0, todo - done - failed))
        lines.append("    %r: %s (%s)" % (name, counts, "finished" if task in stages.finished else "not finished"))
    return "\n".join(lines)


class _RuffusSummary(logging.Filter):
    """Luigi logs its execution summary (seen with RUFFUS_LUIGI_LOG_LEVEL=INFO): this run's is shown instead."""

    def __init__(self, state: RunState) -> None:
        super().__init__()
        self.state = state

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and luigi_private.EXECUTION_SUMMARY_HEADER in record.msg:
            record.msg, record.args = run_summary(self.state), ()
        return True


def _not_run_reason(state: RunState, factory: worker.WorkerSchedulerFactory) -> str:
    """Why a stage can end unfinished with no job failed, and what to do."""
    if state.files.temporary_space_full():
        return (
            "(Luigi did not run this task: the run's temporary directory %s is full, so worker processes could not"
            " pass back what their jobs did. Jobs that finished are recorded: free space there (or set TMPDIR"
            " elsewhere) and run the pipeline again to do what is left)" % os.path.dirname(state.files.run_dir)
        )
    if not state.options.scheduler.shared:
        return "(Luigi did not run this task)"
    return (
        "(Luigi did not run this task: the scheduler %s stopped giving this run work before the task was done."
        " If luigid was restarted without its saved state it forgot the run's pending tasks. Jobs that"
        " finished are recorded: run the pipeline again to do what is left)" % (factory.url or state.options.scheduler.address)
    )


def _unreachable(error: luigid_http.SchedulerUnreachable, state: RunState) -> str:
    """The one line an unreachable luigid ends the run with: its URL, what happened, what to check."""
    return (
        "luigid at %s did not answer for %g s (%s). Check that luigid is running and listening on that "
        "host and port (the URL comes from %s); scheduler_timeout (RUFFUS_LUIGI_SCHEDULER_TIMEOUT) is how "
        "long a run keeps trying. Jobs that finished are recorded: run again to do what is left"
        % (error.url, error.waited, error.why, state.options.scheduler.source)
    )


def _jobs_running(state: RunState, worker: worker.RuffusWorker | None) -> int:
    """Jobs under way when Ctrl-C came: the driver's own, and those of chunks in worker processes.

    A chunk runs its jobs one after another, except on a cluster back end where they are
    submitted together.
    """
    executor = state.executor
    count = max(executor.jobs_running, executor.jobs_interrupted)  # (threads of a chunk: see ChunkExecutor._run_jobs)
    for process in list(worker.running_processes.values()) if worker is not None else []:
        task = process.task
        if process.use_multiprocessing and isinstance(task, translate.RuffusTask) and task.chunk >= 0:
            chunk = task.planned_chunk()
            todo = sum(1 for j in chunk.jobs if j.needs_run or chunk.forced)
            count += todo if state.options.backend != "local" else min(1, todo)
    return count


def _stop_workers() -> None:
    """Ctrl-C: end every worker process now (one forked just before the signal missed it)."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(2)
        if child.is_alive():
            child.kill()


def _collect_errors(state: RunState) -> tuple[list[tuple], Task | None]:
    """The jobs' errors, in the order their tasks were planned, and the last task a job of
    which signalled a break (``JobSignalledBreak``), if any; logged one by one with ``log_exceptions``."""
    errors = []
    signalled_break = None
    for chunks in state.stages.planned.values():
        for chunk in chunks:
            for outcome in chunk.results():
                if outcome.signalled_break:
                    signalled_break = chunk.task
                if outcome.error:
                    errors.append(outcome.error)
                    if state.options.log_exceptions:
                        state.logger.error(rx.RethrownJobError([outcome.error]).get_nth_exception_str())
    return errors, signalled_break


def _resources(state: RunState) -> dict[str, int]:
    """``@jobs_limit`` values as Luigi resources, so limits hold across workers."""
    return {
        translate.resource_name(t): t.jobs_limit_value
        for t in state.incomplete
        if t.jobs_limit_value is not None
    }


def _luigi_build(roots: list, state: RunState, factory: worker.WorkerSchedulerFactory) -> Any:
    """Run Luigi on the stages, with the scheduler the options chose (``SchedulerChoice``)."""
    options = state.options
    luigid_view.watch(state, translate.stage_of, lambda: factory.scheduler)  # (luigid only; before workers fork)
    summary = _RuffusSummary(state)
    interface_log = logging.getLogger("luigi-interface")
    interface_log.addFilter(summary)
    try:
        with state.executor.claiming():
            built = luigi.build(
                roots,
                worker_scheduler_factory=factory,
                workers=options.multiprocess,
                detailed_summary=True,
                log_level=options.luigi_log_level,  # Luigi's own log, for debugging
                **options.scheduler.build_arguments(),
            )
        luigid_view.run_ended(state)
        return built
    except KeyboardInterrupt:
        luigid_view.interrupted(state)
        raise
    finally:
        luigid_view.forget(state)
        interface_log.removeFilter(summary)
