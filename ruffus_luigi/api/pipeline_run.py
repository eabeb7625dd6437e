"""``pipeline_run``: plan as Ruffus does, then execute every out-of-date job through Luigi.

The calling process keeps the plan (``execution.run.RunState``). Luigi's worker runs in it
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
from ..execution.run import RunState
from ..execution.strategies import Intermediates
from ..files import absent
from ..model import pipeline_calls
from ..model.loggers import black_hole_logger, stderr_logger
from ..planning import collector
from ..planning import history as hist
from ..planning.plan import prepare, tasks_to_run, use_plan_cache
from ..planning.printout import up_to_date_task_messages
from ..planning.strategy_choice import choose
from ..settings import config


def _touch_files_only_level(value: Any) -> int:
    if value is False or value is None:
        return 0
    if value is True:
        return 1
    return 2


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
    arguments = dict(locals())
    shared = config.uses_luigid(scheduler_host)
    with driver.ending_signals(), workdir_lock.one_run_per_directory(shared):
        submitted_jobs.start(os.getcwd(), exclusive=not shared)
        try:
            _pipeline_run(**arguments)
        finally:
            submitted_jobs.finish()


def _pipeline_run(
    target_tasks: Any,
    forcedtorun_tasks: Any,
    multiprocess: int,
    logger: Any,
    gnu_make_maximal_rebuild_mode: bool,
    verbose: int | None,
    runtime_data: dict | None,
    one_second_per_job: bool | None,
    touch_files_only: Any,
    exceptions_terminate_immediately: bool,
    log_exceptions: bool,
    checksum_level: int | None,
    multithread: int,
    history_file: str | None,
    verbose_abbreviated_path: int | None,
    pipeline: Any,
    pool_manager: str,
    jobs_per_luigi_task: int | None,
    scheduler_host: str | None,
    scheduler_port: int | None,
    backend: str | None,
    checkpoint: Any,
    keep: Any,
) -> None:
    """``pipeline_run`` inside the directory's lock."""
    touch_level = _touch_files_only_level(touch_files_only)
    verbose = 1 if verbose is None else verbose
    vap = 2 if verbose_abbreviated_path is None else verbose_abbreviated_path
    if verbose == 0:
        logger = black_hole_logger
    elif verbose >= 11 and hasattr(logger, "add_unique_prefix"):
        logger.add_unique_prefix()  # (as Ruffus: it reseeds the script's `random` from the system)
    if pool_manager not in ("multiprocessing", "gevent"):
        raise ValueError(f"unknown pool manager '{pool_manager}'")
    multiprocess = multiprocess or 0
    multithread = multithread or 0
    session = prepare(
        checksum_level, history_file, pipeline, runtime_data, target_tasks, forcedtorun_tasks, vap
    )
    planner = session.planner
    use_plan_cache(planner)
    if history_file is None and planner.checksum_level != hist.CHECKSUM_FILE_TIMESTAMPS:
        history_file = hist.get_default_history_file_name()
    state: RunState | None = None
    try:
        chosen = choose(session, history_file, checkpoint, keep)
        check_backends(backend)
        if touch_level and verbose >= 1:
            logger.info("Touch output files instead of remaking them.")
        forced: Any = session.forced
        if touch_level == 2:
            forced = tasks_to_run(planner, session.targets + session.forced, True, True)[0]
            session.forced = forced
        planner.seen = {}  # (until the first job starts: see worker.RuffusWorker)
        incomplete, _ = tasks_to_run(
            planner, session.targets, forced, gnu_make_maximal_rebuild_mode, logger, verbose
        )
        if verbose in (1, 2) or verbose >= 5:
            all_tasks, _ = tasks_to_run(planner, session.targets, True, gnu_make_maximal_rebuild_mode)
            for m in up_to_date_task_messages(
                incomplete, all_tasks, session.forced, planner, verbose, vap, 4
            ):
                logger.info(m)
        for m in ("", "_" * 40, "Tasks which will be run:", "", ""):
            logger.info(m)
        state = RunState(
            session,
            incomplete,
            logger,
            verbose,
            vap,
            touch_level,
            1 if multithread else max(1, multiprocess),
            multithread,
            jobs_per_luigi_task,
            exceptions_terminate_immediately,
            log_exceptions,
            history_file,
        )
        if one_second_per_job is None:
            state.one_second_per_job = planner.checksum_level == hist.CHECKSUM_FILE_TIMESTAMPS
            state.one_second_if_clock_behind = True
        else:
            state.one_second_per_job = bool(one_second_per_job)
        state.backend = config.backend(backend)  # before Luigi forks its workers
        for task in incomplete:  # a bad retry_count or job_group_size fails here, naming the task, before any job
            try:
                state.attempts(task)
                if state.backend != "local":
                    config.job_group_size(task._get_display_name(), task._name)
            except ValueError as e:
                raise ValueError("Ruffus task %r: %s" % (task._get_display_name(), e)) from None
        if state.backend != "local" and not touch_level:
            # (imported here: multiprocessing.managers takes 15 ms, and only cluster runs need it)
            from ..execution.on_backend import check_travel

            check_travel(incomplete, state.backend)
        state.checkpoints, state.task_checkpoints = chosen.checkpoints, chosen.task_checkpoints
        if chosen.frees_files:
            state.intermediates = Intermediates(state, chosen.scope)

        succeeded = False
        try:
            if incomplete:  # Luigi takes 0.3-0.6 s to import: only when there is work
                planner.history.check_writable()
                with collector.long_lived():
                    from ..luigi_adapter.launch import execute  # (imports Luigi: see above)

                execute(state, scheduler_host, scheduler_port)
            if state.intermediates is not None:
                state.intermediates.sweep()
            succeeded = True
        finally:
            for strategy in chosen.everything():
                strategy.run_finished(succeeded)
    except KeyboardInterrupt as e:
        planner.cache = None  # stop now; the next run checks what this one did not keep
        clear_errors.interrupted(e, state.jobs_interrupted if state is not None else 0)
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
            state.planned.clear()  # (chunks and state refer to each other: freed now, not by a later collection)
        collector.thaw()


