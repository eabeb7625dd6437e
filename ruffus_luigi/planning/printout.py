"""``pipeline_printout``: what would run and why, in Ruffus 3.0.0's words.

Scripts and people read this text, so every line, indent and wrap follows
Ruffus (including its quirks, such as extras shown as ``map``).
"""

from __future__ import annotations

import sys
import textwrap
from typing import Any

from ..model import pipeline_calls
from ..model.job_names import job_descriptor
from ..model.task import Task
from ..settings import config
from . import collector, reasons
from .luigi_inputs import incomplete_luigi_inputs
from .plan import prepare, tasks_to_run, use_plan_cache
from .planner import Planner
from .strategy_choice import dry_run


def task_messages(
    task: Task,
    planner: Planner,
    forced: bool,
    out_of_date: bool,
    verbose: int,
    vap: int,
    indent: int,
) -> list[str]:
    """The printout lines of one task (Ruffus' ``Task._printout``)."""
    if not verbose:
        return []
    pad = " " * indent
    messages = ["Task = %r %s " % (task.display_name, "    >>Forced to rerun<<" if forced else "")]
    if verbose == 1:
        return messages
    if verbose >= 2 and task.func_description:
        messages.append(pad + '"' + task.func_description + '"')
    if verbose <= 2:
        return messages
    pad += " " * 3
    messages.extend(pad + "Luigi task %s is not complete: it runs first" % t for t in incomplete_luigi_inputs(task))
    if not task.is_active:
        if verbose <= 3:
            return messages
        messages.append(pad + "Task is inactive")
        messages.append("")
        return messages

    def job_lines(display: Any) -> list[str]:
        lines = job_descriptor(task.job_descriptor, display, vap)[1]
        return [pad + lines[0]] + [pad + "      " + ln for ln in lines[1:]]

    if task.job_source is None:
        if verbose <= 3:
            return messages
        if task.needs_update_func is None and not task.uses_modify_time:
            messages.append(pad + "Task needs update: No func to check if up-to-date.")
            return messages
        needs, msg = (
            planner.job_needs_update(task, (), verbose > 6)
            if task.uses_modify_time
            else task.needs_update_func()
        )
        if needs:
            messages.append(pad + "Task needs update: %s" % msg)
        elif verbose > 6:
            messages.append(pad + "Task %s" % msg)
    else:
        count = 0
        checks = task.uses_modify_time or task.kind == "mkdir" or task.needs_update_func
        for params, display in planner.jobs(task):
            count += 1
            if not checks:
                if verbose >= 5:
                    messages.extend(job_lines(display))
                    messages.append(pad + "  Jobs needs update: No function to check if up-to-date or not")
                continue
            needs, msg = planner.job_needs_update(task, params, verbose > 6)
            if needs:
                messages.extend(job_lines(display))
                if verbose >= 4:
                    messages.extend(pad + s for s in ("  Job needs update: %s" % msg).split("\n"))
                else:
                    messages.append(pad + "  Job needs update")
            else:
                if (out_of_date and verbose >= 5) or verbose >= 6:
                    messages.extend(job_lines(display))
                    if verbose > 6:
                        messages.extend(pad + s for s in msg.split("\n"))
        if count == 0:
            messages.append(pad + "!!! No jobs for this task.")
            messages.append(pad + "Are you sure there is not a error in your code / regular expression?")
        if verbose >= 4 or (verbose and count == 0):
            for job_msg in planner.match_failures.get(task, {}):
                messages.append(pad + "Job Warning: Input substitution failed:")
                messages.append(pad + "             Do your regular expressions match the corresponding Input?")
                messages.extend("  " + pad + line for line in job_msg.split("\n"))
        planner.match_failures[task] = {}
    messages.append("")
    return messages


def up_to_date_task_messages(
    incomplete: list[Task], all_tasks: list[Task], forced: list[Task], planner: Planner,
    verbose: int, vap: int, indent: int,
) -> list[str]:
    """The 'Tasks which are up-to-date:' block."""
    if len(all_tasks) <= len(incomplete):
        return []
    lines = ["", "_" * 40, "Tasks which are up-to-date:", "", ""]
    pending = set(incomplete)
    for t in all_tasks:
        if t not in pending:
            lines.extend(task_messages(t, planner, t in forced, False, verbose, vap, indent))
    lines.extend(["_" * 40, "", ""])
    return lines


def pipeline_printout(
    output_stream: Any = None,
    target_tasks: Any = [],  # noqa: B006 - Ruffus' signature
    forcedtorun_tasks: Any = [],  # noqa: B006
    verbose: int | None = None,
    indent: int = 4,
    gnu_make_maximal_rebuild_mode: bool = True,
    wrap_width: int = 100,
    runtime_data: dict | None = None,
    checksum_level: int | None = None,
    history_file: str | None = None,
    verbose_abbreviated_path: int | None = None,
    pipeline: Any = None,
    checkpoint: Any = None,
    keep: Any = None,
) -> None:
    """Print the tasks and jobs that ``pipeline_run`` would run, and why.

    Beyond Ruffus' keywords, ``checkpoint`` and ``keep`` as ``pipeline_run`` takes them:
    the run's checkpoint strategies have their say on which jobs must run.
    """
    pipeline_calls.intercept(locals())
    if verbose == 0:
        return
    vap = 2 if verbose_abbreviated_path is None else verbose_abbreviated_path
    verbose = 4 if verbose is None else verbose
    if output_stream is None:
        output_stream = sys.stdout
    if not hasattr(output_stream, "write"):
        raise Exception(
            "The first parameter to pipeline_printout needs to be an output file, e.g. sys.stdout "
            "and not %s" % str(output_stream)
        )
    session = prepare(
        checksum_level, history_file, pipeline, runtime_data, target_tasks, forcedtorun_tasks, vap
    )
    planner = session.planner
    use_plan_cache(planner)
    try:
        with dry_run(session, history_file, checkpoint, keep):
            incomplete = _print(output_stream, session, verbose, indent, gnu_make_maximal_rebuild_mode, wrap_width, vap)
            if config.reasons():
                _print_reasons(output_stream, session, incomplete, gnu_make_maximal_rebuild_mode)
    finally:
        planner.history.close()
        collector.thaw()


def _print_reasons(output_stream: Any, session: Any, incomplete: list[Task], gnu_make_maximal_rebuild_mode: bool) -> None:
    """ruffus-luigi's own addition (the ``reasons`` setting): per task of ``incomplete`` (those that
    would run), its jobs and why."""
    planner, forced = session.planner, session.forced
    everything, _ = tasks_to_run(planner, session.targets, True, gnu_make_maximal_rebuild_mode)
    lines = reasons.why_lines(reasons.tasks_report(planner, everything, incomplete, set(forced)))
    output_stream.write("Why jobs would run (ruffus-luigi):\n" + "".join(line + "\n" for line in lines or ["    none"]))
    output_stream.write("_" * 40 + "\n")


def _print(
    output_stream: Any, session: Any, verbose: int, indent: int, gnu_make_maximal_rebuild_mode: bool,
    wrap_width: int, vap: int,
) -> list[Task]:
    """The printout itself, once the session is prepared and the strategies have their say;
    the tasks that would run."""
    planner, forced = session.planner, session.forced
    incomplete, _ = tasks_to_run(planner, session.targets, forced, gnu_make_maximal_rebuild_mode)
    wrap_indent = " " * (indent + 11)

    def write(message: str) -> None:
        output_stream.write(
            textwrap.fill(message, subsequent_indent=wrap_indent, width=wrap_width) + "\n"
        )

    if verbose in (1, 2) or verbose >= 5:
        all_tasks, _ = tasks_to_run(planner, session.targets, True, gnu_make_maximal_rebuild_mode)
        for m in up_to_date_task_messages(
            incomplete, all_tasks, forced, planner, verbose, vap, indent
        ):
            write(m)
    output_stream.write("\n" + "_" * 40 + "\nTasks which will be run:\n\n")
    for t in incomplete:
        for m in task_messages(t, planner, t in forced, True, verbose, vap, indent):
            write(m)
    if verbose:
        output_stream.write("_" * 40 + "\n")
    if planner.cache is not None:
        planner.cache.save()
    return incomplete

