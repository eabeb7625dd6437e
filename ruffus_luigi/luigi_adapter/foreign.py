"""Hand-written Luigi tasks a Ruffus task takes as input, on the Luigi side.

Planning replaces such a task by its ``output()`` files and lists it in
``task.luigi_inputs`` (``planning.luigi_inputs``). Here a stage requires those tasks, so
Luigi runs the incomplete ones first, with the same worker and scheduler, and a run
whose Luigi input failed ends with that task's error, as a failed upstream job ends it.
"""

from __future__ import annotations

import builtins
import json
from typing import TYPE_CHECKING, Any

import luigi

from ..execution.run import RunState
from ..planning.luigi_inputs import luigi_inputs

if TYPE_CHECKING:
    from ..model.task import Task


def required_by(task: Task, state: RunState) -> list[luigi.Task]:
    """The Luigi tasks a stage waits for: its task's, and those of the parents it plans early.

    None under ``touch_files_only``: that run only touches Ruffus' outputs, and a Luigi
    task's ``run()`` is real work.
    """
    found: list[luigi.Task] = []
    if state.options.touch_files_only:
        return found
    current: Task | None = task
    while current is not None:
        found.extend(luigi_inputs(current))
        current = state.stages.early_parent(current)
    return found


def failures(state: RunState, any_other: bool, scheduler: Any) -> list[tuple]:
    """``RethrownJobError`` entries for the Luigi inputs that kept a stage from running.

    One per Luigi task whose failure the scheduler reports (its traceback). When no job
    failed (``any_other`` False), also one for a Luigi input left incomplete without an
    error (an external task whose files are missing, a ``complete()`` still false after
    ``run()``).
    """
    found: list[tuple] = []
    seen: set[str] = set()
    for task in state.incomplete:
        if task in state.stages.finished:
            continue
        for luigi_task in required_by(task, state):
            if luigi_task.task_id in seen:
                continue
            seen.add(luigi_task.task_id)
            if luigi_task.complete():
                continue
            error = _scheduler_error(scheduler, luigi_task.task_id)
            if error:
                found.append(_entry(task, luigi_task, error))
            elif not any_other:
                found.append(
                    (task.name, _job(luigi_task), "ruffus_luigi.LuigiError",
                     "(Luigi task %s is not complete: Luigi could not run it, or its run() left it "
                     "incomplete)" % luigi_task, "")
                )
    return found


def _job(luigi_task: luigi.Task) -> str:
    return "Luigi task = %s (an input)" % luigi_task


def _entry(task: Task, luigi_task: luigi.Task, explanation: str) -> tuple:
    """Task, job, exception, value and traceback as a failed job's, from Luigi's explanation.

    Luigi's explanation of a failed ``run()`` ends with the traceback's last line,
    ``Name: message``.
    """
    lines = [line for line in explanation.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    name, sep, message = last.partition(": ")
    if not sep or " " in name:
        name, message = "ruffus_luigi.LuigiError", last
    elif "." not in name:  # the traceback leaves out builtins. and __main__., a job's error names them
        name = ("builtins." if isinstance(getattr(builtins, name, None), type) else "__main__.") + name
    return (task.name, _job(luigi_task), name, "(%s)" % message if message else "", explanation.rstrip())


def _scheduler_error(scheduler: Any, task_id: str) -> str:
    """The scheduler's explanation of a failed task ("" if none), as the worker sent it:
    JSON-encoded text."""
    if scheduler is None:
        return ""
    try:
        error = (scheduler.fetch_error(task_id) or {}).get("error") or ""
    except Exception:  # noqa: BLE001 - a luigid gone by now: the task is still named
        return ""
    try:
        decoded = json.loads(error)
    except ValueError:
        return error
    return decoded if isinstance(decoded, str) else ""  # (null: a task that ran without error)
