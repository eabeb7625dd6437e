"""A task's references to other tasks resolved into its parents.

``@follows``, ``@transform(input=...)`` and the rest may name a parent by Task,
function, name (``"pipeline::task"``), Pipeline (its tail tasks) or ``mkdir(...)``
(a mkdir task made on the spot). The planner resolves them when it plans, as Ruffus
does, so a task may refer to one declared after it.
"""

from __future__ import annotations

from typing import Any

from ..errors import exceptions as rx
from .indicators import MakesDirectories
from .pipeline import Pipeline, lookup_tasks_from_name, lookup_unique_task_from_func
from .task import Task


def connect_parents(task: Task, description: str, no_mkdir: bool, args: Any) -> list[Task]:
    """Resolve references (tasks, names, functions, pipelines, mkdir) into the task's parents."""
    new_tasks: list[Task] = []
    pipeline = task.pipeline
    for arg in args:
        if isinstance(arg, Task):
            if arg is task:
                raise rx.error_decorator_args(
                    "Cannot have a task as its own (circular) dependency:\n"
                    + description % (arg,)
                )
            if (
                arg.pipeline.name == pipeline.original_name
                and pipeline.original_name != pipeline.name
            ):
                tasks = lookup_tasks_from_name(arg.name, pipeline.name, task.func_module_name)
                if not tasks:
                    raise rx.error_node_not_task(
                        "task '%s::%s' is somehow absent in the cloned pipeline (%s)!%s"
                        % (
                            pipeline.original_name,
                            arg.name,
                            pipeline.name,
                            description % (arg.name,),
                        )
                    )
                new_tasks.extend(tasks)
            else:
                new_tasks.append(arg)
        elif isinstance(arg, Pipeline):
            if arg is pipeline:
                raise rx.error_decorator_args(
                    "Cannot have your own pipeline as a (circular) dependency of a Task:\n"
                    + description % (arg,)
                )
            if not len(arg.get_tail_tasks()):  # len() as Ruffus: a non-list fails alike
                raise rx.error_no_tail_tasks(
                    f"Pipeline '{arg.name}' has no 'tail' tasks defined.\nWhich task in '{arg.name}' are "
                    "you referring to?"
                )
            new_tasks.extend(arg.get_tail_tasks())
        elif isinstance(arg, str):
            tasks = lookup_tasks_from_name(arg, pipeline.name, task.func_module_name)
            if not tasks:
                raise rx.error_node_not_task(
                    "task '%s' is not a pipelined task in Ruffus. Have you mis-spelt the "
                    "function or task name?\n%s" % (arg, description % (arg,))
                )
            new_tasks.extend(tasks)
        elif isinstance(arg, MakesDirectories):
            if no_mkdir:
                raise rx.error_decorator_args(
                    "Unexpected mkdir() found.\n" + description % (arg,)
                )
            if task.created_via_decorator:
                syntax = "@follows(mkdir())"
            else:
                syntax = "Task(name=%r).follows(mkdir())" % task.display_name
            new_tasks.append(
                task._prepare_preceding_mkdir(
                    arg.args, {}, syntax, description % "mkdir(%s)", False
                )
            )
        elif callable(arg):
            found = lookup_unique_task_from_func(arg, pipeline.name)
            if not found:
                found = Pipeline.main._create_task(arg)
            new_tasks.append(found)
        else:
            raise rx.error_decorator_args(
                "Expecting a function or function name or task name or Task or Pipeline.\n"
                + description % (arg,)
            )
    for parent in new_tasks:
        task.add_parent(parent)
    return new_tasks
