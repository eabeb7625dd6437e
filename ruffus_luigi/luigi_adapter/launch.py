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
from ..execution.claims import Claims
from ..execution.run import RunState
from ..model.pipeline import lookup_pipeline, lookup_tasks_from_user_specified_names
from ..settings import (
    config,
    luigi_settings,  # noqa: F401 - [ruffus_luigi] known to Luigi
)
from . import luigi_private, luigid_http, luigid_view, translate, worker


def luigi_task(target: Any, pipeline: Any = None) -> luigi.Task:
    """The Luigi task standing for a whole Ruffus task, for a hand-written task to ``require()``.

    ``target`` is what ``pipeline_run(target_tasks=...)`` accepts: a decorated function,
    a task name (``"pipeline::task"``) or a Task. The plan is made when Luigi first
    asks whether the task is complete. Run it with ``workers=1``, or pass
    ``worker_scheduler_factory=ruffus_luigi.worker_scheduler_factory()`` to
    ``luigi.build`` so Ruffus jobs may run in several worker processes.
    """
    default_name = lookup_pipeline(pipeline).name if pipeline is not None else "main"
    task = lookup_tasks_from_user_specified_names("Target", [target], default_name)[0]
    return translate.stage_of(task, translate.default_state())


def worker_scheduler_factory() -> worker.WorkerSchedulerFactory:
    """Luigi's worker/scheduler factory with ruffus-luigi's worker (plans in-process)."""
    return worker.WorkerSchedulerFactory()


def execute(state: RunState, host: str | None, port: int | None) -> None:
    """Build the stages of the tasks to run with Luigi; raise Ruffus' errors."""
    if state.jobs_per_luigi_task is None:
        state.jobs_per_luigi_task = config.jobs_per_luigi_task()
    translate.register_run(state)
    try:
        state.progress = progress.start(state)
        required = {p for t in state.incomplete for p in state.stage_requirements(t)}
        # only stages nothing else requires: Luigi would tell the scheduler of a shared one once per root
        roots = [translate.stage_of(t, state) for t in state.incomplete if t not in required]
        if roots:
            factory = worker.WorkerSchedulerFactory(_resources(state), state)
            try:
                _luigi_build(roots, state, host, port, factory)
            except KeyboardInterrupt:
                state.jobs_interrupted = _jobs_running(state, factory.worker)
                _stop_workers()
                raise
            except luigid_http.SchedulerUnreachable as e:
                _stop_workers()
                raise clear_errors.SchedulerUnavailable(_unreachable(e, state)) from None
        errors = _collect_errors(state)
        if state.generation_error is None:
            state.generation_error = state.missing_input_error()
        if state.generation_error is not None:
            if not errors and not state.any_job_ran:
                raise state.generation_error
            kind = type(state.generation_error)
            module = "ruffus.ruffus_exceptions" if kind.__module__ == rx.__name__ else kind.__module__
            # Ruffus puts the exception's class here, printed as "<class 'module.Name'>"
            errors.append((None, None, "<class '%s.%s'>" % (module, kind.__name__), state.generation_error, ""))
        if errors:
            err = rx.RethrownJobError(errors)
            if state.signalled_break:
                err.specify_task(state.signalled_break, "Exceptions running jobs")
            if roots:
                state.logger.info(run_summary(state))
            raise err
        unfinished = [t for t in state.incomplete if t not in state.finished]
        if roots and unfinished:
            raise rx.RethrownJobError(
                [
                    (
                        t._name,
                        "",
                        "ruffus_luigi.LuigiError",
                        _not_run_reason(state),
                        run_summary(state),
                    )
                    for t in unfinished[:1]
                ]
            )
    finally:
        if state.progress is not None:
            state.progress.close()
        translate.REGISTRY.forget_run(state)
        shutil.rmtree(state.run_dir, ignore_errors=True)


def run_summary(state: RunState) -> str:
    """What the run did, by Ruffus task: what is shown in place of Luigi's execution summary.

    Luigi's names the generated tasks with their internal parameters (``chunk=-1``,
    ``run_id=...``) and its own states ("not granted run permission"), none of which a
    Ruffus user wrote or can act on.
    """
    lines = ["ruffus-luigi: what this run did, by Ruffus task:"]
    for task in state.incomplete:
        name = task._get_display_name()
        chunks = state.planned.get(task)
        if chunks is None:
            waiting = [repr(p._get_display_name()) for p in state.parents_to_wait_for(task) if p not in state.finished]
            lines.append("    %r: not started%s" % (name, " (waits for %s)" % ", ".join(waiting) if waiting else ""))
            continue
        todo = done = failed = 0
        for chunk in chunks:
            todo += sum(1 for j in chunk.jobs if j.needs_run or chunk.forced)
            for outcome in state.outcomes(chunk):
                failed += bool(outcome.error)
                done += outcome.ran and not outcome.error
        counts = "%d of %d jobs done, %d failed, %d not run" % (done, todo, failed, max(0, todo - done - failed))
        lines.append("    %r: %s (%s)" % (name, counts, "finished" if task in state.finished else "not finished"))
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


def _not_run_reason(state: RunState) -> str:
    """Why a stage can end unfinished with no job failed, and what to do."""
    if state.temporary_space_full():
        return (
            "(Luigi did not run this task: the run's temporary directory %s is full, so worker processes could not"
            " pass back what their jobs did. Jobs that finished are recorded: free space there (or set TMPDIR"
            " elsewhere) and run the pipeline again to do what is left)" % os.path.dirname(state.run_dir)
        )
    if not state.shared_scheduler:
        return "(Luigi did not run this task)"
    return (
        "(Luigi did not run this task: the scheduler %s stopped giving this run work before the task was done."
        " If luigid was restarted without its saved state it forgot the run's pending tasks. Jobs that"
        " finished are recorded: run the pipeline again to do what is left)" % state.scheduler_address
    )


def _unreachable(error: luigid_http.SchedulerUnreachable, state: RunState) -> str:
    """The one line an unreachable luigid ends the run with: its URL, what happened, what to check."""
    return (
        "luigid at %s did not answer for %g s (%s). Check that luigid is running and listening on that "
        "host and port (the URL comes from %s); scheduler_timeout (RUFFUS_LUIGI_SCHEDULER_TIMEOUT) is how "
        "long a run keeps trying. Jobs that finished are recorded: run again to do what is left"
        % (error.url, error.waited, error.why, state.scheduler_source)
    )


def _jobs_running(state: RunState, worker: worker.RuffusWorker | None) -> int:
    """Jobs under way when Ctrl-C came: the driver's own, and those of chunks in worker processes.

    A chunk runs its jobs one after another, except on a cluster back end where they are
    submitted together.
    """
    count = max(state.jobs_running, state.jobs_interrupted)  # (threads of a chunk: see RunState.execute)
    for process in list(worker.running_processes.values()) if worker is not None else []:
        task = process.task
        if process.use_multiprocessing and isinstance(task, translate.RuffusTask) and task.chunk >= 0:
            chunk = task.planned_chunk()
            todo = sum(1 for j in chunk.jobs if j.needs_run or chunk.forced)
            count += todo if state.backend != "local" else min(1, todo)
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


def _collect_errors(state: RunState) -> list[tuple]:
    errors = []
    for chunks in state.planned.values():
        for chunk in chunks:
            for outcome in state.outcomes(chunk):
                if outcome.signalled_break:
                    state.signalled_break = chunk.task
                if outcome.error:
                    errors.append(outcome.error)
                    if state.log_exceptions:
                        state.logger.error(rx.RethrownJobError([outcome.error]).get_nth_exception_str())
    return errors


def _resources(state: RunState) -> dict[str, int]:
    """``@jobs_limit`` values as Luigi resources, so limits hold across workers."""
    return {
        translate.resource_name(t): t.jobs_limit_value
        for t in state.incomplete
        if t.jobs_limit_value is not None
    }


def _luigi_build(
    roots: list, state: RunState, host: str | None, port: int | None, factory: worker.WorkerSchedulerFactory
) -> Any:
    """Run Luigi on the stages; the local scheduler unless a luigid is configured."""
    if host:
        state.scheduler_source = "pipeline_run's scheduler_host/scheduler_port (a script's --scheduler-host/--scheduler-port)"
    elif config.scheduler_host():
        state.scheduler_source = "RUFFUS_LUIGI_SCHEDULER_HOST"
    elif config.environment("scheduler_url"):
        state.scheduler_source = "RUFFUS_LUIGI_SCHEDULER_URL, which ruffus-luigi --scheduler-host/--scheduler-port set"
    else:
        state.scheduler_source = "luigi.cfg: [ruffus_luigi] scheduler_url, or [core] default_scheduler_host/_port/_url"
    host = host or config.scheduler_host()
    url = None if host else config.scheduler_url()
    kwargs: dict[str, Any] = {}
    if url:
        kwargs["scheduler_url"] = url
    elif host:
        kwargs["scheduler_host"] = host
        kwargs["scheduler_port"] = int(port or 8082)
    else:
        kwargs["local_scheduler"] = _configured_local()
    state.shared_scheduler = not kwargs.get("local_scheduler")
    state.scheduler_address = url or ("http://%s:%s/" % (host, kwargs["scheduler_port"]) if host else "named in luigi.cfg [core]")
    if state.shared_scheduler:  # (before any worker process is forked: they inherit it)
        state.claims = Claims(state.workdir)
        luigid_view.watch(state, translate.stage_of)
    summary = _RuffusSummary(state)
    interface_log = logging.getLogger("luigi-interface")
    interface_log.addFilter(summary)
    try:
        built = luigi.build(
            roots,
            worker_scheduler_factory=factory,
            workers=state.workers,
            detailed_summary=True,
            log_level=config.luigi_log_level(),  # Luigi's own log, for debugging
            **kwargs,
        )
        luigid_view.run_ended(state)
        return built
    except KeyboardInterrupt:
        luigid_view.interrupted(state)
        raise
    finally:
        luigid_view.forget(state)
        interface_log.removeFilter(summary)
        if state.claims is not None:
            state.claims.close()
            state.claims = None


def _configured_local() -> bool:
    """Local scheduler unless ``luigi.cfg`` names a default scheduler host."""
    settings = luigi.configuration.get_config()  # (not the `config` module imported above)
    return not settings.has_option("core", "default_scheduler_host") and not settings.has_option(
        "core", "default_scheduler_url"
    )

