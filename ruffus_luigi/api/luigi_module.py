"""``luigi --module SCRIPT TASK``: an unchanged Ruffus script imported by Luigi's own command.

Activated when ruffus-luigi is first imported while the ``luigi`` command imports its
``--module`` (``luigi_private.importing_for_luigi_command``); nothing changes otherwise, so a
``pipeline_run`` pays nothing for it. Then, for the rest of that import:

- each Ruffus task gets its generated Luigi class as its decorator runs (family: the Ruffus
  name, ``my_pipeline.final_merge``), and a second one under its function's name alone
  (``final_merge``) when the task belongs to the main pipeline of an imported module;
- the script's own ``pipeline_run`` (or ``cmdline.run``) call is remembered, not run: its
  keywords are the options of the runs Luigi starts for the tasks the script defines (for
  tasks of functions defined elsewhere: the last call remembered);
- the script sees no command-line arguments (``sys.argv`` is the program's name alone): its
  option parser gets its defaults instead of Luigi's arguments.

Luigi then makes the named task without parameters: a *whole run*. It is complete when
``pipeline_run([task])`` with the script's options would find nothing to do; running it
runs exactly that ``pipeline_run``, against the scheduler the ``luigi`` command was given
(``--local-scheduler``, ``--scheduler-host``/``--scheduler-port``, ``--scheduler-url``), with ``--workers N``
(N > 1) as ``multiprocess=N``. The generated stages and chunks it runs are the usual ones.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import luigi
import luigi.interface

from ..execution import driver
from ..luigi_adapter import luigi_private, luigi_summary, translate
from ..model import pipeline_calls
from ..model.task import ALL_TASKS, TASK_CREATED, Task
from ..planning.plan import prepare, tasks_to_run
from ..planning.strategy_choice import dry_run
from ..settings import config
from .pipeline_run import pipeline_run

_script_calls: dict[str, dict[str, Any]] = {}
"""By module name (and ``""``: the last), the keywords of a script's ``pipeline_run`` call made while imported."""

_active = False
_pid = 0  # (the luigi command's process)


def activate() -> None:
    """Called when ruffus-luigi is first imported while ``luigi --module`` imports a script."""
    global _active, _pid
    if _active:
        return
    _active, _pid = True, os.getpid()
    translate.REGISTRY.base = WholeRunTask
    TASK_CREATED.append(_register)
    for task in ALL_TASKS:
        _register(task)
    pipeline_calls.defer_when = _defer
    sys.argv[1:] = []  # (Luigi keeps its own copy of its arguments)
    luigi_summary.install()


def _register(task: Task) -> None:
    """Make the task's Luigi classes: its Ruffus name, and its function's name alone when that differs."""
    cls = translate.class_for(task)
    short = task.func_name
    if (
        task.pipeline.name == "main"
        and short
        and task.display_name == task.func_module_name + "." + short
    ):
        alias = type(short, (cls,), {"__module__": cls.__module__, "__doc__": cls.__doc__, "task_namespace": ""})
        translate.REGISTRY.aliases.append(alias)


def _defer(arguments: dict[str, Any]) -> bool:
    """While ``luigi`` imports the script, its ``pipeline_run`` call is remembered, not run."""
    if not luigi_private.importing_for_luigi_command():
        return False
    _script_calls[_calling_module()] = arguments
    _script_calls[""] = arguments  # (the last one: for tasks whose functions another module defines)
    return True


def _calling_module() -> str:
    """The module whose top-level code is running now (the script being imported)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame is not None else ""


def run_arguments(task: Task) -> dict[str, Any]:
    """``pipeline_run``'s keywords for a whole run of ``task``: the script's call's, with Luigi's scheduler and workers."""
    arguments = dict(_script_calls.get(task.func_module_name) or _script_calls.get("", {}))
    arguments["target_tasks"] = [task]
    core = luigi.interface.core()
    if not core.local_scheduler:
        if core.scheduler_url:  # (pipeline_run takes a URL from the setting only)
            config.set_for_children("scheduler_url", core.scheduler_url)
        elif core.scheduler_host:
            arguments["scheduler_host"] = core.scheduler_host
            arguments["scheduler_port"] = core.scheduler_port
    if core.workers > 1:
        arguments["multiprocess"] = core.workers
    return arguments


def work_left(task: Task) -> bool:
    """Whether ``pipeline_run([task])`` with the script's options would run anything (it plans, runs nothing)."""
    arguments = run_arguments(task)
    history_file = arguments.get("history_file")
    session = prepare(
        arguments.get("checksum_level"),
        history_file,
        arguments.get("pipeline"),
        arguments.get("runtime_data"),
        arguments["target_tasks"],
        arguments.get("forcedtorun_tasks") or [],
    )
    planner = session.planner
    try:
        with dry_run(session, history_file, arguments.get("checkpoint"), arguments.get("keep")):
            maximal = arguments.get("gnu_make_maximal_rebuild_mode", True)
            incomplete, _ = tasks_to_run(planner, session.targets, session.forced, maximal)
    finally:
        planner.history.close()
    return bool(incomplete)


class _SummaryKept(logging.Handler):
    """Keeps the run's own summary (``launch.run_summary``) as the run's Luigi logs it."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(luigi_summary.RUN_SUMMARY_HEADER):
            self.text = message


class WholeRunTask(translate.RuffusTask):
    """The generated classes' base under ``luigi --module``: without parameters, a whole ``pipeline_run``.

    With parameters (a stage or chunk of a run) it is the usual generated task.
    """

    def _whole(self) -> bool:
        return self.chunk < 0 and not self.run_id

    def requires(self) -> list[translate.RuffusTask]:
        return [] if self._whole() else super().requires()

    def planned_chunk(self):  # noqa: ANN201 - translate's Chunk
        try:
            return super().planned_chunk()
        except KeyError:
            raise ValueError(self._not_ours("chunk=%d" % self.chunk)) from None

    def run_state(self):  # noqa: ANN201 - translate's RunState
        try:
            return super().run_state()
        except KeyError:
            raise ValueError(self._not_ours("run_id=%s" % self.run_id)) from None

    def _not_ours(self, given: str) -> str:
        """A command line gave a generated task's internal parameters (``--chunk``, ``--run-id``...)."""
        return (
            "Ruffus task %r: %s names no run or chunk of this process; chunk, jobs, run_id, workdir "
            "and version are ruffus-luigi's own parameters: name the task alone "
            "(luigi --module SCRIPT %s)" % (self.ruffus_name, given, self.get_task_family())
        )

    def complete(self) -> bool:
        return not work_left(self.ruffus_task) if self._whole() else super().complete()

    def run(self):  # noqa: ANN201 - a generator of dynamic dependencies
        if not self._whole():
            yield from super().run()
            return
        if os.getpid() != _pid:  # (Luigi forked this process for the task: --workers N)
            luigi_private.forked_by_luigi_worker()
            # the run ends (as after Ctrl-C: driver.ending_signals) when the luigi process dies
            if not driver.die_with(os.getppid()) or driver.ended(_pid):
                raise RuntimeError("the luigi command that started this run has ended: not started")
        kept = _SummaryKept()
        interface_log = logging.getLogger("luigi-interface")
        interface_log.addHandler(kept)
        try:
            pipeline_run(**run_arguments(self.ruffus_task))
        finally:
            interface_log.removeHandler(kept)
            luigi_summary.record_whole_run(self.task_id, kept.text)
