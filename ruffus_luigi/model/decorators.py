"""The decorators: each records itself on the main pipeline's task for the function.

The function is returned unchanged (plus a ``pipeline_task`` attribute), so it
stays callable as a plain function, and user decorators built with
``functools.wraps`` keep working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .indicators import MakesDirectories
from .pipeline import Pipeline
from .task import Task
from .task_kinds import declare, declare_files_re


class task_decorator:  # noqa: N801 - Ruffus' public name
    """Base of every decorator: keeps its arguments until applied to a function."""

    def __init__(self, *args: Any, **named: Any) -> None:
        self.args = args
        self.named_args = named

    def __call__(self, func: Callable) -> Callable:
        task = Pipeline.main._create_task(func)
        task.created_via_decorator = True
        task.description_with_args_placeholder = task.decorated_function_text.replace(
            "...", "%s", 1
        )
        self.apply(task)
        return func

    def apply(self, task: Task) -> None:
        """Record this decorator on ``task``."""
        syntax = "@" + type(self).__name__
        task.syntax = syntax
        task.description_with_args_placeholder = "%s(%%s)\n%s" % (
            syntax,
            task.decorated_function_text,
        )
        declare(task, type(self).__name__, self.args, dict(self.named_args))


class originate(task_decorator):  # noqa: N801
    """``@originate(output, *extras)``: create files from nothing."""


class transform(task_decorator):  # noqa: N801
    """``@transform(input, filter, [add_inputs|inputs], output, *extras)``."""


class split(task_decorator):  # noqa: N801
    """``@split(input, output, *extras)``: one job, many outputs."""


class subdivide(task_decorator):  # noqa: N801
    """``@subdivide(input, filter, [add_inputs|inputs], output, *extras)``."""


class merge(task_decorator):  # noqa: N801
    """``@merge(input, output, *extras)``: many inputs, one job."""


class collate(task_decorator):  # noqa: N801
    """``@collate(input, filter, [add_inputs|inputs], output, *extras)``."""


class product(task_decorator):  # noqa: N801
    """``@product(input, formatter(), [input2, formatter(), ...], output, *extras)``."""


class permutations(task_decorator):  # noqa: N801
    """``@permutations(input, formatter(), k, output, *extras)``."""


class combinations(task_decorator):  # noqa: N801
    """``@combinations(input, formatter(), k, output, *extras)``."""


class combinations_with_replacement(task_decorator):  # noqa: N801
    """``@combinations_with_replacement(input, formatter(), k, output, *extras)``."""


class files(task_decorator):  # noqa: N801
    """``@files(input, output, *extras)``, a list of such jobs, or a generator."""

    def apply(self, task: Task) -> None:
        task.syntax = "@files"
        task.description_with_args_placeholder = "%s(%%s)\n%s" % (
            task.syntax,
            task.decorated_function_text,
        )
        declare(task, "files", self.args, dict(self.named_args))


class parallel(task_decorator):  # noqa: N801
    """``@parallel([[name, *args], ...])`` or a generator: jobs without files."""

    def apply(self, task: Task) -> None:
        task.syntax = "@parallel"
        declare(task, "parallel", self.args, dict(self.named_args))


class files_re(task_decorator):  # noqa: N801
    """Deprecated regex form of ``@files``."""

    def apply(self, task: Task) -> None:
        declare_files_re(task, self.args, dict(self.named_args))


class follows(task_decorator):  # noqa: N801
    """``@follows(task, "name", mkdir(...), ...)``: run after these."""

    def apply(self, task: Task) -> None:
        task._decorator_follows(*self.args)


class mkdir(task_decorator, MakesDirectories):  # noqa: N801
    """``@mkdir(dirs)`` or ``@mkdir(input, filter, output)``; also ``@follows(mkdir(...))``."""

    def apply(self, task: Task) -> None:
        task._decorator_mkdir(*self.args, **self.named_args)


class posttask(task_decorator):  # noqa: N801
    """``@posttask(func, touch_file(path))``: run once the task has completed."""

    def apply(self, task: Task) -> None:
        task._decorator_posttask(*self.args)


class jobs_limit(task_decorator):  # noqa: N801
    """``@jobs_limit(n, name=None)``: at most n jobs at once."""

    def apply(self, task: Task) -> None:
        task._decorator_jobs_limit(*self.args, **self.named_args)


class active_if(task_decorator):  # noqa: N801
    """``@active_if(*conditions)``: evaluated at every run."""

    def apply(self, task: Task) -> None:
        task._decorator_active_if(*self.args)


class check_if_uptodate(task_decorator):  # noqa: N801
    """``@check_if_uptodate(func)``: ``func(*params) -> (needs_update, reason)``."""

    def apply(self, task: Task) -> None:
        task._decorator_check_if_uptodate(*self.args)


class graphviz(task_decorator):  # noqa: N801
    """``@graphviz(**attributes)`` for ``pipeline_printout_graph``."""

    def apply(self, task: Task) -> None:
        task._decorator_graphviz(*self.args, **self.named_args)


class run_in_main_process(task_decorator):  # noqa: N801
    """``@run_in_main_process``: jobs run in the calling process."""

    def apply(self, task: Task) -> None:
        task._decorator_run_in_main_process()
