"""Pipelines and tasks: what a Ruffus script declared, nothing else.

A ``Task`` records one decorated function (its kind, its parsed arguments and
its modifiers) and its edges to other tasks. Turning that record into jobs is
the planner's work (``params``, ``plan``); running them is Luigi's.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
from collections.abc import Callable
from typing import Any

from ..errors import exceptions as rx
from ..files.filenames import flatten_strings, ignore_unknown_encoder, shorten_filenames_encoder
from .arguments import parse_task_arguments
from .indicators import MakesDirectories, combine, formatter, inputs, regex, suffix, touch_file
from .job_names import job_descriptor


def _shell_command(**named: Any) -> None:
    """Run a shell-command task: each ``;``-separated command, formatted with the job's names."""
    for cmd in named["command_str"].split(";"):
        cmd = cmd.replace("\n", " ").strip()
        if cmd:
            subprocess.check_call(cmd.format(**named), shell=True)


def exec_string_as_task_func(input_args: Any, output_args: Any, **named: Any) -> None:
    """The task function standing for a shell-command string."""
    callback = named.pop("__RUFFUS_TASK_CALLBACK__", None)
    if not callable(callback):
        raise Exception("Missing call back function")
    if not isinstance(named.get("command_str"), str):
        raise Exception("Missing call back function string")
    named["input"] = input_args
    named["output"] = output_args
    callback(**named)


# (its docstring is what Ruffus prints for a mkdir task at verbose 2: interface text)
def job_wrapper_mkdir(*params: Any) -> None:
    """Make missing directories including any intermediate directories on the specified path(s)"""
    dirs = params[0] if len(params) == 1 else params[1]
    for d in flatten_strings(dirs):
        os.makedirs(d, exist_ok=True)


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
            Pipeline.main = self
        self.head_tasks: list[Task] = []
        self.tail_tasks: list[Task] = []
        self.lookup: dict[Any, list[Task]] = {}
        self.command_str_callback: Callable = _shell_command
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
        func_name = task._name if isinstance(task_func, str) else task_func.__name__
        task.description_with_args_placeholder = (
            f"{syntax}(name = {task._get_display_name()!r}, task_func = {func_name}, %s)"
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
        task._declare(kind, args, named)
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
            f"{task.syntax}(name = {task._get_display_name()!r}, %s)"
        )
        task._prepare_mkdir(args, named, task.description_with_args_placeholder)
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
        new.head_tasks = [new[t._name] for t in self.head_tasks]
        new.tail_tasks = [new[t._name] for t in self.tail_tasks]
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
        names = ",".join(t._name for t in multiple)
        raise rx.error_ambiguous_task(f"{task_name} is ambiguous. Which do you mean? ({names}).")

# Which kinds produce what: (job descriptor, call style, single job, indeterminate output)
_ONE_TO_MANY = "one_to_many"
_IO = "io"


ALL_TASKS: list[Task] = []
"""Every task ever created, in creation order (Ruffus' node list)."""

TASK_CREATED: list[Callable[[Task], None]] = []
"""Called with each task as it is created (``api.luigi_module``: its Luigi class, under ``luigi``)."""


class Task:
    """One stage of a pipeline: a function and how its jobs are derived."""

    _job_limit_semaphores: dict[str, int] = {}

    def __init__(
        self,
        func: Any,
        task_name: str,
        pipeline: Pipeline | None = None,
        command_str: str | None = None,
    ) -> None:
        if pipeline is None:
            pipeline = Pipeline.main
        self.pipeline = pipeline
        self.command_str = command_str
        if command_str is not None:
            self.func_module_name = ""
            self.func_name = ""
            self.func_description = command_str
        else:
            self.func_module_name = str(func.__module__)
            self.func_name = func.__name__
            doc = func.__doc__
            self.func_description = re.sub(r"\n\s+", " ", doc).strip() if doc else ""
        if not task_name:
            task_name = self.func_module_name + "." + self.func_name
        self._name = task_name
        self._inward: list[Task] = []
        self._outward: list[Task] = []
        self.kind = "task"
        self.checksum_level = 0
        self.needs_update_func: Callable | None = None
        self.uses_modify_time = False
        self.job_descriptor = "generic"
        self.single_job_single_output: bool | Task = False
        self.indeterminate_output = 0
        self.user_defined_work_func = func
        self.posttask_functions: list[Callable] = []
        self.cnt_task_mkdir = 0
        self.semaphore_name = pipeline.name + ":" + task_name
        self._run_in_main_process = False
        self.active_if_checks: list | None = None
        self.is_active = True
        self.created_via_decorator = False
        self.deferred_follow_params: list[list] = []
        self.parsed_args: dict[str, Any] = {}
        self.error_type: type = rx.error_task
        self.syntax = ""
        self.description_with_args_placeholder = "%s"
        self.has_input_param = True
        self.graphviz_attributes: dict[str, Any] = {}
        self.command_str_callback: Any = "PIPELINE"
        self.job_source: Any = None
        self.output_filenames: Any = None
        if task_name in pipeline.task_names:
            raise rx.error_duplicate_task_name(
                "Same task name %s specified multiple times in the same pipeline (%s)"
                % (task_name, pipeline.name)
            )
        pipeline.tasks.add(self)
        pipeline.task_order.append(self)
        ALL_TASKS.append(self)
        for created in TASK_CREATED:
            created(self)
        pipeline[task_name] = self
        pipeline.lookup[task_name] = [self]
        pipeline.task_names.add(task_name)
        for key in (func, self.func_name, self.func_module_name + "." + self.func_name):
            if key == "." or key in pipeline.task_names:
                continue
            if key in pipeline.lookup:
                pipeline.lookup[key].append(self)
                if key in pipeline:
                    del pipeline[key]
            else:
                pipeline.lookup[key] = [self]
                pipeline[key] = self
        try:
            func.pipeline_task = self
        except (AttributeError, TypeError):
            pass

    def __repr__(self) -> str:
        return f"<Task {self._get_display_name()}>"

    # -- names -------------------------------------------------------------
    def _get_display_name(self) -> str:
        """The task name without ``__main__.``, prefixed by a non-main pipeline's name."""
        name = self._name.replace("__main__.", "").replace("main::", "")
        if self.pipeline.name != "main":
            return f"{self.pipeline.name}::{name}"
        return name

    def _get_decorated_function(self) -> str:
        if not self.created_via_decorator:
            return ""
        if self.func_module_name != "__main__":
            name = self.func_module_name + "." + self.func_name
        else:
            name = self.func_name
        return "def %s(...):\n    ...\n" % name

    def _get_job_name(self, display_params: Any, verbose_abbreviated_path: int) -> str:
        return job_descriptor(self.job_descriptor, display_params, verbose_abbreviated_path)[0]

    # -- declaring the kind --------------------------------------------------
    _EXPECTED = {
        "originate": ["output", "extras"],
        "transform": ["input", "filter", "modify_inputs", "output", "extras", "output_dir"],
        "subdivide": ["input", "filter", "modify_inputs", "output", "extras", "output_dir"],
        "split": ["input", "output", "extras"],
        "merge": ["input", "output", "extras"],
        "collate": ["input", "filter", "modify_inputs", "output", "extras"],
        "product": ["input", "filter", "inputN", "modify_inputs", "output", "extras"],
        "permutations": ["input", "filter", "tuple_size", "modify_inputs", "output", "extras"],
        "combinations": ["input", "filter", "tuple_size", "modify_inputs", "output", "extras"],
        "combinations_with_replacement": [
            "input",
            "filter",
            "tuple_size",
            "modify_inputs",
            "output",
            "extras",
        ],
    }
    _ERRORS = {
        "originate": "error_task_originate",
        "transform": "error_task_transform",
        "subdivide": "error_task_subdivide",
        "split": "error_task_split",
        "merge": "error_task_merge",
        "collate": "error_task_collate",
        "product": "error_task_product",
        "permutations": "error_task_permutations",
        "combinations": "error_task_combinations",
        "combinations_with_replacement": "error_task_combinations_with_replacement",
        "files": "error_task_files",
        "files_func": "error_task_files",
        "parallel": "error_task_parallel",
        "files_re": "error_task_files_re",
        "mkdir": "error_task_mkdir",
    }
    _ACTION_NAMES = {
        "originate": "task_originate",
        "transform": "task_transform",
        "subdivide": "task_subdivide",
        "split": "task_split",
        "merge": "task_merge",
        "collate": "task_collate",
        "product": "task_product",
        "permutations": "task_permutations",
        "combinations": "task_combinations",
        "combinations_with_replacement": "task_combinations_with_replacement",
        "files": "task_files",
        "files_func": "task_files_func",
        "parallel": "task_parallel",
        "files_re": "task_files_re",
        "mkdir": "task_mkdir",
    }

    def _set_kind(self, kind: str) -> None:
        if self.kind != "task":
            old = self._ACTION_NAMES[self.kind]
            new = self._ACTION_NAMES[kind]
            actions = " and ".join(list({old, new}))
            raise rx.error_decorator_args(
                "Duplicate task for:\n\n%s\n\nThis has already been specified with a the same "
                "name or function\n(%r, %s)\n"
                % (self.description_with_args_placeholder % "...", self._get_display_name(), actions)
            )
        self.kind = kind
        self.error_type = getattr(rx, self._ERRORS[kind])

    def _use_modify_time(self) -> None:
        if self.needs_update_func is None:
            self.uses_modify_time = True

    def _declare(self, kind: str, args: tuple, named: dict) -> None:
        """Record a decorator (or Pipeline method) of the given kind."""
        if kind == "split" and len(args) > 1 and isinstance(args[1], regex):
            kind = "subdivide"  # Ruffus' deprecated @split(input, regex(...), ...)
        if kind in ("files", "parallel"):
            getattr(self, "_prepare_" + kind)(args, named)
            return
        self._set_kind(kind)
        self._use_modify_time()
        self.job_descriptor = {
            "originate": _ONE_TO_MANY,
            "subdivide": _ONE_TO_MANY,
            "split": _ONE_TO_MANY,
        }.get(kind, _IO)
        self.indeterminate_output = {"subdivide": 2, "split": 1}.get(kind, 0)
        if kind == "merge":
            self.single_job_single_output = True
        self.parsed_args = parse_task_arguments(
            args, named, self._EXPECTED[kind], self.description_with_args_placeholder
        )

    def _prepare_files(self, args: tuple, named: dict) -> None:
        self.error_type = rx.error_task_files
        self._use_modify_time()
        self.job_descriptor = _IO
        if not args:
            raise rx.error_task_files(self, "Too few arguments for @files")
        if len(args) == 1 and callable(args[0]):
            self._set_kind("files_func")
            self.parsed_args = {"generator": args[0]}
            return
        self._set_kind("files")
        if len(args) > 1:
            params = copy.copy([args])
            self.single_job_single_output = True
        else:
            params = copy.copy(args[0])
        _check_files_io_parameters(self, params)
        self.parsed_args["input"] = [p[0] for p in params]
        self.parsed_args["output"] = [tuple(p[1:]) for p in params]

    def _prepare_parallel(self, args: tuple, named: dict) -> None:
        self._set_kind("parallel")
        self.job_descriptor = _IO
        if not args:
            raise rx.error_task_parallel(self, "Too few arguments for @parallel")
        if len(args) == 1 and callable(args[0]):
            params = args[0]()  # as Ruffus: called now, a generator's body runs when jobs are made
        elif len(args) > 1:
            params = copy.copy([args])
            self.single_job_single_output = True
        else:
            params = copy.copy(args[0])
            _check_parallel_parameters(self, params)
        self.parsed_args = {"params": params}

    def _declare_files_re(self, args: tuple, named: dict) -> None:
        self.syntax = "@files_re"
        self._set_kind("files_re")
        self._use_modify_time()
        self.job_descriptor = _IO
        if len(args) < 3:
            raise self.error_type(self, "Too few arguments for @files_re")
        combining = False
        unwrapped = []
        for arg in args:
            if isinstance(arg, combine):
                combining = True
                if len(arg.args) != 1:  # Ruffus 3.0.0 fails on these, with this TypeError
                    raise TypeError("'combine' object is not subscriptable")
                unwrapped.append(arg.args[0])
            else:
                unwrapped.append(arg)
        unwrapped[1] = regex(unwrapped[1])
        if len(unwrapped) > 3:
            unwrapped[2] = inputs(unwrapped[2])
        self.description_with_args_placeholder = "%s(%%s)\n%s" % (
            self.syntax,
            self._get_decorated_function(),
        )
        self.parsed_args = parse_task_arguments(
            tuple(unwrapped),
            named,
            ["input", "filter", "modify_inputs", "output", "extras"],
            self.description_with_args_placeholder,
        )
        self.files_re_combine = combining

    def _prepare_mkdir(self, args: tuple, named: dict, description: str) -> None:
        self._set_kind("mkdir")
        self.job_descriptor = "mkdir"
        self.user_defined_work_func = job_wrapper_mkdir
        if (len(args) > 1 and isinstance(args[1], (formatter, suffix, regex))) or "filter" in named:
            self.mkdir_with_filter = True
            self.parsed_args = parse_task_arguments(
                args,
                named,
                ["input", "filter", "modify_inputs", "output", "output_dir", "extras"],
                description,
            )
            return
        self.mkdir_with_filter = False
        self.func_description = "Make missing directories %s" % shorten_filenames_encoder(args, 0)
        self.has_input_param = False
        if len(args) == 0:
            output: Any = []
        elif len(args) > 1:
            output = args
        elif isinstance(args[0], (list, tuple, set)):
            output = args[0]
        else:
            output = args
        self.parsed_args["output"] = output

    # -- modifiers -----------------------------------------------------------
    def follows(self, *args: Any, **named: Any) -> Task:
        """Run after the given tasks (or after making the given directories)."""
        description = (self.description_with_args_placeholder % "...") + ".follows(%r)"
        self.deferred_follow_params.append([description, False, args])
        return self

    def _decorator_follows(self, *args: Any) -> None:
        description = "@follows(%r)\n" + (self.description_with_args_placeholder % "...")
        self.deferred_follow_params.append([description, False, args])

    def mkdir(self, *args: Any, **named: Any) -> Task:
        """Make these directories before this task runs."""
        syntax = "Task(name = %s).mkdir" % self._name
        self._prepare_preceding_mkdir(args, named, syntax, "%s(%%s)" % self.syntax)
        return self

    def _decorator_mkdir(self, *args: Any, **named: Any) -> None:
        description = "%s(%%s)\n%s" % (self.syntax, self.description_with_args_placeholder % "...")
        self._prepare_preceding_mkdir(args, named, "@mkdir", description)

    def _prepare_preceding_mkdir(
        self, args: tuple, named: dict, syntax: str, description: str, defer: bool = True
    ) -> Task:
        self.cnt_task_mkdir += 1
        count = (" #%d" % self.cnt_task_mkdir) if self.cnt_task_mkdir > 1 else ""
        name = r"mkdir%r%s   before %s " % (args, count, self._name)
        name = name.replace(",)", ")").replace(",", ",  ")
        task = self.pipeline._create_task(job_wrapper_mkdir, name)
        if defer:
            self.deferred_follow_params.append([description, False, [task]])
        task.syntax = syntax
        task._prepare_mkdir(args, named, description)
        return task

    def check_if_uptodate(self, func: Callable) -> Task:
        """Replace the timestamp check by ``func(*job_params) -> (needs_update, reason)``."""
        if not callable(func):
            description = (self.description_with_args_placeholder % "...") + ".check_if_uptodate(%r)"
            raise rx.error_decorator_args(
                "Expected a single function or Callable object in \n" + description % (func,)
            )
        self.needs_update_func = func
        self.uses_modify_time = False
        return self

    def _decorator_check_if_uptodate(self, *args: Any) -> None:
        if len(args) != 1 or not callable(args[0]):
            description = "@check_if_uptodate(%r)\n" + (
                self.description_with_args_placeholder % "..."
            )
            raise rx.error_decorator_args(
                "Expected a single function or Callable object in \n" + description % (args,)
            )
        self.needs_update_func = args[0]
        self.uses_modify_time = False

    def posttask(self, *funcs: Any) -> Task:
        """Call these once the task has completed."""
        description = (
            "Expecting simple functions or touch_file() in \n"
            + (self.description_with_args_placeholder % "...")
            + ".posttask(%r)"
        )
        self._set_posttask(description, funcs)
        return self

    def _decorator_posttask(self, *funcs: Any) -> None:
        description = (
            "Expecting simple functions or touch_file() in \n@posttask(%r)\n"
            + (self.description_with_args_placeholder % "...")
        )
        self._set_posttask(description, funcs)

    def _set_posttask(self, description: str, funcs: tuple) -> None:
        for f in funcs:
            if isinstance(f, touch_file):
                self.posttask_functions.append(_Toucher(f.args))
            elif callable(f):
                self.posttask_functions.append(f)
            else:
                raise rx.PostTaskArgumentError(description % (f,))

    def run_in_main_process(self) -> Task:
        """Run this task's jobs in the process that called ``pipeline_run``."""
        self._run_in_main_process = True
        return self

    def _decorator_run_in_main_process(self) -> None:
        self.run_in_main_process()

    def jobs_limit(self, maximum_jobs_in_parallel: int, limit_name: str | None = None) -> Task:
        """At most N of these jobs (or of every task sharing ``limit_name``) at once."""
        description = (self.description_with_args_placeholder % "...") + ".jobs_limit(%r%s)"
        self._set_jobs_limit(description, maximum_jobs_in_parallel, limit_name)
        return self

    def _decorator_jobs_limit(self, maximum_jobs_in_parallel: int, limit_name: str | None = None) -> None:
        description = "@jobs_limit(%r%s)\n" + (self.description_with_args_placeholder % "...")
        self._set_jobs_limit(description, maximum_jobs_in_parallel, limit_name)

    def _set_jobs_limit(self, description: str, maximum: Any, limit_name: str | None) -> None:
        try:
            maximum = int(maximum)
            assert maximum >= 1
        except Exception:
            shown = ", " + limit_name if limit_name else ""
            raise rx.JobsLimitArgumentError(
                "Expecting a positive integer > 1 in \n" + description % (maximum, shown)
            ) from None
        if limit_name is not None:
            self.semaphore_name = limit_name
        previous = self._job_limit_semaphores.get(self.semaphore_name)
        if previous is not None and previous != maximum:
            shown = ", " + limit_name if limit_name else ""
            raise rx.JobsLimitArgumentError(
                "The job limit %r cannot re-defined from the former limit of %d in \n"
                % (self.semaphore_name, previous)
                + description % (maximum, shown)
            )
        self._job_limit_semaphores[self.semaphore_name] = maximum

    @property
    def jobs_limit_value(self) -> int | None:
        """The number of jobs allowed at once, or None for no limit."""
        return self._job_limit_semaphores.get(self.semaphore_name)

    def active_if(self, *checks: Any) -> Task:
        """Run only when every check (bool or callable) is true at pipeline_run time."""
        if self.active_if_checks is None:
            self.active_if_checks = []
        self.active_if_checks.extend(checks)
        return self

    def _decorator_active_if(self, *checks: Any) -> None:
        self.active_if(*checks)

    def _update_active_state(self) -> None:
        checks = self.active_if_checks
        self.is_active = not (
            checks is not None and any(not (c() if callable(c) else c) for c in checks)
        )

    def graphviz(self, *args: Any, **named: Any) -> Task:
        """Attributes for this task's node in ``pipeline_printout_graph``."""
        self.graphviz_attributes = named
        if args:
            raise TypeError(
                "Only named arguments expected in :"
                + self.description_with_args_placeholder % "..."
                + ".graphviz(%r)\n" % args  # as Ruffus: one argument shows bare, more raise
            )
        return self

    def _decorator_graphviz(self, *args: Any, **named: Any) -> None:
        self.graphviz_attributes = named
        if args:
            raise TypeError(
                "Only named arguments expected in :"
                + "@graphviz(%r)\n" % args  # as Ruffus: one argument shows bare, more raise
                + self.description_with_args_placeholder % "..."
            )

    def set_command_str_callback(self, callback: Callable) -> None:
        if not callable(callback):
            raise Exception(
                "set_command_str_callback() takes a python function or a callable object."
            )
        self.command_str_callback = callback

    def set_output(self, **args: Any) -> None:
        """Change the output of an originate task."""
        if self.syntax not in ("pipeline.originate", "@originate"):
            raise rx.error_set_output("Can only set output for originate tasks")
        if "output" not in args:
            raise rx.error_set_output("Missing the output argument in set_input(output=xxx)")
        self.parsed_args["output"] = args.pop("output")
        if args:
            raise rx.error_set_output(
                "Unexpected argument name in set_output(%s). Only expecting output=xxx." % (args,)
            )

    def set_input(self, **args: Any) -> None:
        """Change the input(s) of this task (``input=``, ``input2=``, ...)."""
        if isinstance(self.parsed_args.get("filter"), list):
            for n in range(len(self.parsed_args["filter"])):
                key = "input%d" % (n + 1) if n else "input"
                if key in args:
                    self.parsed_args["input"][n] = args.pop(key)
            if args:
                raise rx.error_set_input(
                    "Unexpected arguments in set_input(%s). Only expecting inputN=xxx" % (args,)
                )
            return
        if "input" not in args:
            raise rx.error_set_input("Missing the input argument in set_input(input=xxx)")
        self.parsed_args["input"] = args.pop("input")
        if args:
            raise rx.error_set_input(
                "Unexpected argument name in set_input(%s). Only expecting input=xxx." % (args,)
            )

    def _clone(self, new_pipeline: Pipeline) -> Task:
        new = Task(self.user_defined_work_func, self._name, new_pipeline, self.command_str)
        for attr in (
            "command_str_callback",
            "kind",
            "error_type",
            "checksum_level",
            "needs_update_func",
            "uses_modify_time",
            "job_descriptor",
            "single_job_single_output",
            "indeterminate_output",
            "cnt_task_mkdir",
            "semaphore_name",
            "_run_in_main_process",
            "is_active",
            "created_via_decorator",
            "syntax",
            "has_input_param",
            "func_description",
        ):
            setattr(new, attr, getattr(self, attr))
        for attr in ("files_re_combine", "mkdir_with_filter"):
            if hasattr(self, attr):
                setattr(new, attr, getattr(self, attr))
        new.description_with_args_placeholder = self.description_with_args_placeholder.replace(
            self.pipeline.name, new_pipeline.name
        )
        new.posttask_functions = copy.deepcopy(self.posttask_functions)
        new.active_if_checks = copy.deepcopy(self.active_if_checks)
        new.parsed_args = copy.deepcopy(self.parsed_args)
        new.deferred_follow_params = copy.deepcopy(self.deferred_follow_params)
        return new

    # -- graph edges -------------------------------------------------------
    def _add_parent(self, parent: Task) -> None:
        if parent not in self._inward:
            self._inward.append(parent)
            parent._outward.append(self)

    def _remove_all_parents(self) -> None:
        for parent in self._inward:
            if self in parent._outward:
                parent._outward.remove(self)
        self._inward = []

    def _get_inward(self) -> list[Task]:
        return self._inward

    def _get_outward(self) -> list[Task]:
        return self._outward

    def _connect_parents(self, description: str, no_mkdir: bool, args: Any) -> list[Task]:
        """Resolve references (tasks, names, functions, pipelines, mkdir) into parent tasks."""
        new_tasks: list[Task] = []
        pipeline = self.pipeline
        for arg in args:
            if isinstance(arg, Task):
                if arg is self:
                    raise rx.error_decorator_args(
                        "Cannot have a task as its own (circular) dependency:\n"
                        + description % (arg,)
                    )
                if (
                    arg.pipeline.name == pipeline.original_name
                    and pipeline.original_name != pipeline.name
                ):
                    tasks = lookup_tasks_from_name(arg._name, pipeline.name, self.func_module_name)
                    if not tasks:
                        raise rx.error_node_not_task(
                            "task '%s::%s' is somehow absent in the cloned pipeline (%s)!%s"
                            % (
                                pipeline.original_name,
                                arg._name,
                                pipeline.name,
                                description % (arg._name,),
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
                tasks = lookup_tasks_from_name(arg, pipeline.name, self.func_module_name)
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
                if self.created_via_decorator:
                    syntax = "@follows(mkdir())"
                else:
                    syntax = "Task(name=%r).follows(mkdir())" % self._get_display_name()
                new_tasks.append(
                    self._prepare_preceding_mkdir(
                        arg.args, {}, syntax, description % "mkdir(%s)", False
                    )
                )
            elif callable(arg):
                task = lookup_unique_task_from_func(arg, pipeline.name)
                if not task:
                    task = Pipeline.main._create_task(arg)
                new_tasks.append(task)
            else:
                raise rx.error_decorator_args(
                    "Expecting a function or function name or task name or Task or Pipeline.\n"
                    + description % (arg,)
                )
        for task in new_tasks:
            self._add_parent(task)
        return new_tasks

class _Toucher:
    """``@posttask(touch_file(...))``: create or touch the files."""

    def __init__(self, names: tuple) -> None:
        self.names = [names] if isinstance(names, str) else list(names)

    def __call__(self) -> None:
        for name in self.names:
            if os.path.exists(name):
                os.utime(name, None)
            else:
                open(name, "w").close()


def _check_files_io_parameters(task: Task, params: Any) -> None:
    try:
        for job in params:
            if isinstance(job, str):
                raise TypeError
            if len(job) < 1:
                raise rx.error_task_files(
                    task, "Missing input files for job " + ignore_unknown_encoder(job)
                )
            if len(job) < 2:
                raise rx.error_task_files(
                    task, "Missing output files for job " + ignore_unknown_encoder(job)
                )
    except TypeError:
        raise rx.error_task_files(
            task,
            "Wrong syntax for @files.\n@files(%s)\n" % ignore_unknown_encoder(params)
            + "If you are supplying parameters for a task running as a single job, either don't "
            "put enclosing brackets at all (with each parameter separated by commas) or enclose "
            "all parameters as a nested list of lists, e.g. [['input', 'output' ...]]. ",
        ) from None


def _check_parallel_parameters(task: Task, params: Any) -> None:
    if not len(params):
        raise Exception("@parallel parameters is empty.")
    for job in params:
        if isinstance(job, str):
            raise rx.error_task_parallel(
                task,
                "Wrong syntax for @parallel.\n@parallel(%s)\n" % ignore_unknown_encoder(params)
                + "If you are supplying parameters for a task running as a single job, either "
                "don't put enclosing brackets at all (with each parameter separated by commas) or "
                "enclose all parameters as a nested list of lists, e.g. [['input', 'output' ...]]. ",
            )


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
        names = ", ".join(t._name for t in tasks)
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
