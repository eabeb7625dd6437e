"""Pipelines: the named sets of tasks a Ruffus script declared, and lookups across them.

``Pipeline.pipelines`` is every pipeline by name; the lookups resolve what a script
hands ``pipeline_run`` or ``@follows`` (a name, ``"pipeline::task"``, a function, a
Task or a Pipeline) into tasks, with Ruffus' errors for names that are ambiguous or
unknown. ``Task`` is imported from here by modules that still use this path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import exceptions as rx
from .task import Task
from .task_functions import exec_string_as_task_func, job_wrapper_mkdir, shell_command
from .task_kinds import declare, declare_mkdir


class Pipeline(dict):
    """A named set of tasks; ``"main"`` holds everything the decorators declare.

    It is a dict (task names, functions and ``module.func`` to Task) as in Ruffus,
    so scripts that look tasks up by subscription keep working. Scripts get the subclass
    ``api.pipeline.Pipeline``, which adds ``run``, ``printout`` and ``printout_graph``.
    """

    pipelines: dict[str, Pipeline] = {}
    main: Pipeline  # the first pipeline named "main": what the decorators declare into (``main_pipeline``)
    cnt_mkdir = 0

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tasks: set[Task] = set()
        self.task_names: set[str] = set()
        self.task_order: list[Task] = []
        self.name = name
        self.original_name = name
        if name in Pipeline.pipelines:
            raise Exception(
                "Error:\nDuplicate pipeline. A pipeline named '%s' already exists.\n" % name
            )
        Pipeline.pipelines[name] = self
        if name == "main" and "main" not in vars(Pipeline):
            Pipeline.main = Task.main_pipeline = self
        self.head_tasks: list[Task] = []
        self.tail_tasks: list[Task] = []
        self.lookup: dict[Any, list[Task]] = {}
        self.command_str_callback: Callable = shell_command
        self.job_state = "active"

    def __hash__(self) -> int:  # a dict subclass, but used as a key by identity
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    @classmethod
    def clear_all(cls) -> None:
        """Forget every pipeline (tests use it between cases)."""
        Pipeline.pipelines = {}  # (one registry, whichever class it is called on)

    # -- creating tasks ----------------------------------------------------
    def _create_task(self, task_func: Any, task_name: str | None = None) -> Task:
        if isinstance(task_func, str):
            command = task_func
            if not task_name:
                words = command.split()
                n = 1
                while n < len(words):
                    task_name = " ".join(words[:n])
                    if task_name not in self.task_names:
                        break
                else:
                    raise rx.error_duplicate_task_name(
                        f"The task string '{command}' is ambiguous for Pipeline '{self.name}'. You must "
                        "disambiguate explicitly with different task names "
                    )
            return Task(exec_string_as_task_func, task_name, self, command_str=command)
        if not task_name:
            if task_func.__module__ == "__main__":
                task_name = task_func.__name__
            else:
                task_name = f"{task_func.__module__}.{task_func.__name__}"
        if task_name not in self:
            return Task(task_func, task_name, self)
        if task_name in self.task_names and self[task_name].user_defined_work_func == task_func:
            return self[task_name]
        return Task(task_func, task_name, self)

    def _create_task_by_oop(self, task_func: Any, named: dict, syntax: str) -> Task:
        name = named.pop("name", None)
        task = self._create_task(task_func, name)
        task.created_via_decorator = False
        task.syntax = syntax
        func_name = task.name if isinstance(task_func, str) else task_func.__name__
        task.description_with_args_placeholder = (
            f"{syntax}(name = {task.display_name!r}, task_func = {func_name}, %s)"
        )
        if isinstance(task_func, str):
            if "extras" in named:
                if not isinstance(named["extras"], dict):
                    placeholder = task.description_with_args_placeholder
                    raise rx.error_executable_str(
                        (placeholder % "...")
                        + "\n requires a dictionary for named parameters. For example:\n"
                        + placeholder % "extras = {my_param = 45, her_param = 'whatever'}"
                    )
            else:
                named["extras"] = {}
            named["extras"]["command_str"] = task_func
        return task

    def _declare(self, kind: str, syntax: str, task_func: Any, args: tuple, named: dict) -> Task:
        task = self._create_task_by_oop(task_func, named, syntax)
        declare(task, kind, args, named)
        return task

    def originate(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """Create files from nothing, one job per output."""
        return self._declare("originate", "pipeline.originate", task_func, args, named)

    def transform(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """One job per input: input -> output."""
        return self._declare("transform", "pipeline.transform", task_func, args, named)

    def split(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """One job: inputs -> many outputs (globs allowed)."""
        return self._declare("split", "pipeline.split", task_func, args, named)

    def subdivide(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """One job per input, each making many outputs."""
        return self._declare("subdivide", "pipeline.subdivide", task_func, args, named)

    def merge(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """One job: all inputs -> one output."""
        return self._declare("merge", "pipeline.merge", task_func, args, named)

    def collate(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """One job per distinct output: inputs grouped by their substituted output."""
        return self._declare("collate", "pipeline.collate", task_func, args, named)

    def product(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """All-against-all product of several input sets."""
        return self._declare("product", "pipeline.product", task_func, args, named)

    def permutations(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """k-permutations of one input set."""
        return self._declare("permutations", "pipeline.permutations", task_func, args, named)

    def combinations(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """k-combinations of one input set."""
        return self._declare("combinations", "pipeline.combinations", task_func, args, named)

    def combinations_with_replacement(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """k-combinations with repeats of one input set."""
        return self._declare(
            "combinations_with_replacement",
            "combinations_with_replacement",
            task_func,
            args,
            named,
        )

    def files(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """An explicit list of jobs (legacy)."""
        return self._declare("files", "pipeline.files", task_func, args, named)

    def parallel(self, task_func: Any, *args: Any, **named: Any) -> Task:
        """An explicit list of jobs without files; always runs."""
        return self._declare("parallel", "pipeline.parallel", task_func, args, named)

    def mkdir(self, *args: Any, **named: Any) -> Task:
        """A stand-alone task making directories."""
        name = named.pop("name", None)
        if name is None:
            self.cnt_mkdir += 1
            name = "mkdir" if self.cnt_mkdir == 1 else "mkdir # %d" % self.cnt_mkdir
        task = self._create_task(job_wrapper_mkdir, name)
        task.created_via_decorator = False
        task.syntax = "pipeline.mkdir"
        task.description_with_args_placeholder = (
            f"{task.syntax}(name = {task.display_name!r}, %s)"
        )
        declare_mkdir(task, args, named, task.description_with_args_placeholder)
        return task

    def follows(self, task_func: Any, *args: Any, **named: Any) -> Task:
        task = self._create_task_by_oop(task_func, named, "pipeline.follows")
        task.deferred_follow_params.append([task.description_with_args_placeholder, False, args])
        return task

    def check_if_uptodate(self, task_func: Any, func: Callable, **named: Any) -> Task:
        task = self._create_task_by_oop(task_func, named, "check_if_uptodate")
        return task.check_if_uptodate(func)

    def graphviz(self, task_func: Any, *args: Any, **named: Any) -> Task:
        task = self._create_task_by_oop(task_func, named, "pipeline.graphviz")
        task.graphviz_attributes = named
        if args:
            raise TypeError(
                "Only named arguments expected in :" + task.description_with_args_placeholder % args
            )
        return task

    # -- head, tail, inputs ------------------------------------------------
    def get_head_tasks(self) -> list[Task]:
        return self.head_tasks

    def set_head_tasks(self, head_tasks: list[Task]) -> None:
        if not isinstance(head_tasks, list):
            raise Exception(
                f"Pipelines['{self.name}'].set_head_tasks() expects a list not {type(head_tasks)}"
            )
        for t in head_tasks:
            if not isinstance(t, Task):
                raise Exception(
                    f"Pipelines['{self.name}'].set_head_tasks() expects a list of tasks "
                    f"not {type(t)} 1"
                )
        self.head_tasks = head_tasks

    def get_tail_tasks(self) -> list[Task]:
        return self.tail_tasks

    def set_tail_tasks(self, tail_tasks: list[Task]) -> None:
        self.tail_tasks = tail_tasks

    def set_input(self, **args: Any) -> None:
        """Change the input of every head task (sub-pipelines)."""
        if not self.head_tasks:
            raise rx.error_no_head_tasks(
                f"Pipeline '{self.name}' has no head tasks defined.\n"
                f"Which task in '{self.name}' do you want to set_input() for?"
            )
        for t in self.head_tasks:
            t.set_input(**args)

    def set_output(self, **args: Any) -> None:
        """Change the output of every (originate) head task."""
        if not self.head_tasks:
            raise rx.error_no_head_tasks(
                f"Pipeline '{self.name}' has no head tasks defined.\n"
                f"Which task in '{self.name}' do you want to set_output() for?"
            )
        for t in self.head_tasks:
            t.set_output(**args)

    def set_command_str_callback(self, callback: Callable) -> None:
        if not callable(callback):
            raise Exception(
                "set_command_str_callback() takes a python function or a callable object."
            )
        self.command_str_callback = callback

    def suspend_jobs(self) -> None:
        self.job_state = "suspended"

    def resume_jobs(self) -> None:
        self.job_state = "active"

    def is_job_suspended(self) -> bool:
        return self.job_state == "suspended"

    def clone(self, new_name: str, *args: Any, **kwargs: Any) -> Pipeline:
        """A deep copy of this pipeline's tasks under a new pipeline name."""
        new = type(self)(new_name, *args, **kwargs)
        for task in self.task_order:
            task._clone(new)
        new.original_name = self.original_name
        new.head_tasks = [new[t.name] for t in self.head_tasks]
        new.tail_tasks = [new[t.name] for t in self.tail_tasks]
        return new

    # -- lookup ------------------------------------------------------------
    def lookup_task_from_name(self, task_name: str, default_module_name: str) -> list[Task]:
        """The one task a name stands for here, [] if none; ambiguity raises."""
        multiple: list[Task] = []
        if task_name in self.lookup:
            if len(self.lookup[task_name]) == 1:
                return self.lookup[task_name]
            multiple = self.lookup[task_name]
        qualified = default_module_name + "." + task_name
        if qualified in self.lookup:
            if len(self.lookup[qualified]) == 1:
                return self.lookup[qualified]
            multiple = self.lookup[qualified]
        if not multiple:
            return []
        names = ",".join(t.name for t in multiple)
        raise rx.error_ambiguous_task(f"{task_name} is ambiguous. Which do you mean? ({names}).")


def lookup_pipeline(pipeline: Any) -> Pipeline:
    """None means the main pipeline; a string is looked up by name."""
    if pipeline is None:
        return Pipeline.main
    if isinstance(pipeline, Pipeline):
        return pipeline
    if isinstance(pipeline, str) and pipeline in Pipeline.pipelines:
        return Pipeline.pipelines[pipeline]
    raise rx.error_not_a_pipeline("%s does not name a pipeline." % pipeline)


def lookup_unique_task_from_func(task_func: Callable, default_pipeline_name: str = "main") -> Task | None:
    """The one task using ``task_func``: the default pipeline first, then all others."""

    def unique_in(pipeline: Pipeline) -> Task | None:
        tasks = pipeline.lookup.get(task_func)
        if not tasks:
            return None
        if len(tasks) == 1:
            return tasks[0]
        names = ", ".join(t.name for t in tasks)
        raise rx.error_ambiguous_task(
            "Function def %s(...): is used by multiple tasks (%s). Which one do you mean?."
            % (task_func.__name__, names)
        )

    if default_pipeline_name in Pipeline.pipelines:
        task = unique_in(Pipeline.pipelines[default_pipeline_name])
        if task:
            return task
    found = [(t, p) for p in Pipeline.pipelines.values() if (t := unique_in(p))]
    if len(found) == 1:
        return found[0][0]
    if len(found) > 1:
        raise rx.error_ambiguous_task(
            "Task Name %s is ambiguous and specifies different tasks across multiple pipelines "
            "(%s)." % (task_func.__name__, ",".join(p.name for _, p in found))
        )
    return None


def lookup_tasks_from_name(
    task_name: str,
    default_pipeline_name: str,
    default_module_name: str = "__main__",
    pipeline_names_as_alias_to_all_tasks: bool = False,
) -> list[Task]:
    """Resolve ``"pipeline::task"``, a task name, or a pipeline name into tasks."""
    pipeline_name, name = re.match("(?:(.+)::)?(.*)", task_name).groups()
    if pipeline_name:
        if pipeline_name not in Pipeline.pipelines:
            raise rx.error_not_a_pipeline("%s is not a pipeline." % pipeline_name)
        return Pipeline.pipelines[pipeline_name].lookup_task_from_name(name, default_module_name)
    if default_pipeline_name not in Pipeline.pipelines:
        raise rx.error_not_a_pipeline("%s is not a pipeline." % default_pipeline_name)
    tasks = Pipeline.pipelines[default_pipeline_name].lookup_task_from_name(
        name, default_module_name
    )
    if tasks:
        return tasks
    if name in Pipeline.pipelines:
        other = Pipeline.pipelines[name]
        if pipeline_names_as_alias_to_all_tasks:
            return list(other.task_order)
        if len(other.get_tail_tasks()):
            return other.get_tail_tasks()
        raise rx.error_no_tail_tasks(
            "Pipeline %s has no tail tasks defined. Which task do you mean when you specify "
            "the whole pipeline as a dependency?" % name
        )
    found = []
    for pname, pipeline in Pipeline.pipelines.items():
        tasks = pipeline.lookup_task_from_name(name, default_module_name)
        if tasks:
            found.append((tasks, pname))
    if len(found) == 1:
        return found[0][0]
    if len(found) > 1:
        raise rx.error_ambiguous_task(
            "Task Name %s is ambiguous and specifies different tasks across several pipelines "
            "(%s)." % (name, ",".join(p for _, p in found))
        )
    return []


def lookup_tasks_from_user_specified_names(
    description: str,
    task_names: Any,
    default_pipeline_name: str = "main",
    default_module_name: str = "__main__",
    pipeline_names_as_alias_to_all_tasks: bool = False,
) -> list[Task]:
    """Targets and forced tasks given as functions, names, Tasks or Pipelines."""
    if not isinstance(task_names, (list, tuple)):
        task_names = [task_names]
    result: list[Task] = []
    for item in task_names:
        if isinstance(item, Task):
            result.append(item)
        elif isinstance(item, Pipeline):
            if pipeline_names_as_alias_to_all_tasks:
                result.extend(item.task_order)
            elif len(item.get_tail_tasks()):
                result.extend(item.get_tail_tasks())
            else:
                raise rx.error_no_tail_tasks(
                    "Pipeline %s has no 'tail tasks'. Which task do you mean when you specify "
                    "the whole pipeline?" % item.name
                )
        elif callable(item):
            task = lookup_unique_task_from_func(item, default_pipeline_name)
            if not task:
                raise rx.error_function_is_not_a_task(
                    ("Function def %s(...): is not a Ruffus task." % item.__name__)
                    + " The function needs to have a ruffus decoration like '@transform', or be "
                    "a member of a ruffus.Pipeline()."
                )
            result.append(task)
        elif isinstance(item, str):
            tasks = lookup_tasks_from_name(
                item, default_pipeline_name, default_module_name, pipeline_names_as_alias_to_all_tasks
            )
            if not tasks:
                raise rx.error_node_not_task(
                    "%s task '%s' is not a pipelined task in Ruffus. Is it spelt correctly ?"
                    % (description, item)
                )
            result.extend(tasks)
        else:
            raise TypeError("Expecting a string or function, or a Ruffus Task or Pipeline object")
    return result
