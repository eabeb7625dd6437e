"""``pipeline_run``: plan as Ruffus does, then execute every out-of-date job through Luigi.

Every setting is resolved once, first (``execution.options.RunOptions``: each value and where
it came from). The calling process keeps the plan (``execution.run.RunState``). Luigi's worker runs in it
(``luigi_adapter.launch``, imported only when there is work): stages (whole Ruffus tasks)
run in-process, plan their jobs once their parents are done, and yield chunks; chunks run
in forked Luigi worker processes (``multiprocess=N`` -> N Luigi workers) or in-process.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from ..errors import clear_errors
from ..execution import driver, private_dirs, submitted_jobs, workdir_lock
from ..execution.options import RunOptions
from ..execution.run import RunState
from ..files import absent
from ..model import pipeline_calls
from ..model.loggers import stderr_logger
from ..planning import collector
from ..planning.plan import prepare, tasks_to_run, use_plan_cache
from ..planning.printout import up_to_date_task_messages
from ..planning.strategy_choice import choose
from ..settings import config


def check_backends(backend: str | None) -> None:
    """Stop before any job if the chosen back ends (the run's, and ``drmaa_wrapper.run_job``'s
    when set apart) are unknown or cannot run here: one line naming each and the installed ones."""
    chosen = [(config.backend(backend), config.backend_source(backend)), config.run_job_backend_setting()]
    if all(name in ("", "local") for name, _ in chosen):
        return
    from .. import plugins  # (a local run never loads the plugins)

    for name, source in chosen:
        if name not in ("", "local"):
            plugins.check_backend(name, source)
    private_dirs.make(os.path.join(os.getcwd(), private_dirs.ROOT))  # (before any job: see private_dirs)


def pipeline_run(
    target_tasks: Any = [],  # noqa: B006 - Ruffus' signature
    forcedtorun_tasks: Any = [],  # noqa: B006
    multiprocess: int = 1,
    logger: Any = stderr_logger,
    gnu_make_maximal_rebuild_mode: bool = True,
    verbose: int | None = None,
    runtime_data: dict | None = None,
    one_second_per_job: bool | None = None,
    touch_files_only: Any = False,
    exceptions_terminate_immediately: bool = False,
    log_exceptions: bool = False,
    checksum_level: int | None = None,
    multithread: int = 0,
    history_file: str | None = None,
    verbose_abbreviated_path: int | None = None,
    pipeline: Any = None,
    pool_manager: str = "multiprocessing",
    jobs_per_luigi_task: int | None = None,
    scheduler_host: str | None = None,
    scheduler_port: int | None = None,
    backend: str | None = None,
    checkpoint: Any = None,
    keep: Any = None,
) -> None:
    """Run the out-of-date jobs of a pipeline through Luigi, as ``ruffus.pipeline_run`` would.

    Beyond Ruffus' keywords: ``jobs_per_luigi_task`` (default: automatic, see
    ``execution.chunking.chunk_size``), ``scheduler_host``/``scheduler_port`` for a luigid and
    ``backend`` (default: RUFFUS_LUIGI_BACKEND, else ``[ruffus_luigi] backend``, else local),
    ``checkpoint`` (strategy names, e.g. ``"atomic,zero-intermediates"``; default:
    RUFFUS_LUIGI_CHECKPOINT, else ``[ruffus_luigi] checkpoint``, else history) and ``keep``
    (glob patterns of files intermediate-freeing strategies must not touch).

    One run at a time per working directory (``workdir_lock``); SIGTERM and SIGHUP end the
    run as Ctrl-C does, cluster jobs cancelled (``driver``, ``submitted_jobs``).
    """
    pipeline_calls.intercept(locals())
    if pipeline_calls.deferred(locals()):  # (`luigi --module` imports the script: see api.luigi_module)
        return
    options = RunOptions.resolve(
        logger=logger,
        verbose=verbose,
        verbose_abbreviated_path=verbose_abbreviated_path,
        touch_files_only=touch_files_only,
        multiprocess=multiprocess,
        multithread=multithread,
        gnu_make_maximal_rebuild_mode=gnu_make_maximal_rebuild_mode,
        jobs_per_luigi_task=jobs_per_luigi_task,
        exceptions_terminate_immediately=exceptions_terminate_immediately,
        log_exceptions=log_exceptions,
        checksum_level=checksum_level,
        history_file=history_file,
        one_second_per_job=one_second_per_job,
        pool_manager=pool_manager,
        scheduler_host=scheduler_host,
        scheduler_port=scheduler_port,
        backend=backend,
    )
    shared = options.scheduler.shared
    with driver.ending_signals(), workdir_lock.one_run_per_directory(shared):
        submitted_jobs.start(os.getcwd(), exclusive=not shared)
        try:
            _pipeline_run(
                options, target_tasks, forcedtorun_tasks, runtime_data, checksum_level, history_file, pipeline,
                backend, checkpoint, keep,
            )
        finally:
            submitted_jobs.finish()


def _pipeline_run(
    options: RunOptions,
    target_tasks: Any,
    forcedtorun_tasks: Any,
    runtime_data: dict | None,
    checksum_level: int | None,
    history_file: str | None,
    pipeline: Any,
    backend: str | None,
    checkpoint: Any,
    keep: Any,
) -> None:
    """``pipeline_run`` inside the directory's lock (``history_file``, ``checksum_level``: as given, for planning)."""
    logger, verbose, vap = options.logger, options.verbose, options.verbose_abbreviated_path
    touch_level = options.touch_files_only
    if verbose >= 11 and hasattr(logger, "add_unique_prefix"):
        logger.add_unique_prefix()  # (as Ruffus: it reseeds the script's `random` from the system)
    session = prepare(
        checksum_level, history_file, pipeline, runtime_data, target_tasks, forcedtorun_tasks, vap
    )
    planner = session.planner
    use_plan_cache(planner)
    state: RunState | None = None
    try:
        chosen = choose(session, options.history_file, checkpoint, keep)
        check_backends(backend)
        if touch_level and verbose >= 1:
            logger.info("Touch output files instead of remaking them.")
        forced: Any = session.forced
        if touch_level == 2:
            forced = tasks_to_run(planner, session.targets + session.forced, True, True)[0]
            session.forced = forced
        planner.seen = {}  # (until the first job starts: see worker.RuffusWorker)
        rebuild = options.gnu_make_maximal_rebuild_mode
        incomplete, _ = tasks_to_run(planner, session.targets, forced, rebuild, logger, verbose)
        if verbose in (1, 2) or verbose >= 5:
            all_tasks, _ = tasks_to_run(planner, session.targets, True, rebuild)
            for m in up_to_date_task_messages(
                incomplete, all_tasks, session.forced, planner, verbose, vap, 4
            ):
                logger.info(m)
        for m in ("", "_" * 40, "Tasks which will be run:", "", ""):
            logger.info(m)
        state = RunState(session, incomplete, options, chosen)
        for task in incomplete:  # a bad retry_count or job_group_size fails here, naming the task, before any job
            try:
                state.executor.attempts(task)
                if options.backend != "local":
                    config.job_group_size(task.display_name, task.name)
            except ValueError as e:
                raise ValueError("Ruffus task %r: %s" % (task.display_name, e)) from None
        if options.backend != "local" and not touch_level:
            # (imported here: multiprocessing.managers takes 15 ms, and only cluster runs need it)
            from ..execution.on_backend import check_travel

            check_travel(incomplete, options.backend)

        succeeded = False
        try:
            if incomplete:  # Luigi takes 0.3-0.6 s to import: only when there is work
                planner.history.check_writable()
                with collector.long_lived():
                    from ..luigi_adapter.launch import execute  # (imports Luigi: see above)

                execute(state)
            if state.intermediates is not None:
                state.intermediates.sweep()
            succeeded = True
        finally:
            for strategy in chosen.everything():
                strategy.run_finished(succeeded)
    except KeyboardInterrupt as e:
        planner.cache = None  # stop now; the next run checks what this one did not keep
        clear_errors.interrupted(e, state.executor.jobs_interrupted if state is not None else 0)
        raise
    except sqlite3.DatabaseError as e:  # (the history file is the only database a run opens)
        planner.cache = None
        raise clear_errors.DamagedHistory(planner.history.filename, e) from None
    finally:
        planner.files_may_change()
        if planner.cache is not None:
            planner.cache.save()
        planner.history.close()
        absent.set_absent_files({})  # freed files look present to a run choosing their strategy, not after it
        if state is not None:
            state.stages.forget()  # (chunks and state refer to each other: freed now, not by a later collection)
        collector.thaw()
