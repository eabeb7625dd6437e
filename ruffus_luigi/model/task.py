"""A ``Task``: one decorated function of a Ruffus script, as the script declared it.

It records the function, its kind and parsed arguments (``task_kinds``), its
modifiers (``@follows``, ``@jobs_limit``, ``@active_if``...) and its edges to other
tasks. Turning that record into jobs is the planner's work (``params``, ``plan``);
running them is Luigi's. Other modules read a task through its public attributes and
read-only properties (``display_name``, ``parents``...); the underscored names are
Ruffus' own, kept for the scripts that use them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import exceptions as rx
from .indicators import touch_file
from .job_names import job_descriptor
from .task_functions import Toucher, job_wrapper_mkdir
from .task_kinds import declare_mkdir

if TYPE_CHECKING:
    from .pipeline import Pipeline

ALL_TASKS: list[Task] = []
"""Every task ever created, in creation order (Ruffus' node list)."""

TASK_CREATED: list[Callable[[Task], None]] = []
"""Called with each task as it is created (``api.luigi_module``: its Luigi class, under ``luigi``)."""


class Task:
    """One stage of a pipeline: a function and how its jobs are derived."""

    _job_limit_semaphores: dict[str, int] = {}
    main_pipeline: Pipeline  # set by the main pipeline when it is made: where ``Task(func, name)`` goes

    def __init__(
        self,
        func: Any,
        task_name: str,
        pipeline: Pipeline | None = None,
        command_str: str | None = None,
    ) -> None:
        if pipeline is None:
            pipeline = Task.main_pipeline
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

    # -- what other modules read (the underscored names are Ruffus' own, kept for scripts) --
    @property
    def name(self) -> str:
        """The task's name: the one given, else ``func`` (in ``__main__``) or ``module.func``."""
        return self._name

    @property
    def display_name(self) -> str:
        """The name Ruffus shows in messages (``_get_display_name``)."""
        return self._get_display_name()

    @property
    def parents(self) -> list[Task]:
        """The tasks this one follows (Ruffus' ``_inward``), once planned; not to be changed."""
        return self._inward

    @property
    def children(self) -> list[Task]:
        """The tasks that follow this one (Ruffus' ``_outward``), once planned; not to be changed."""
        return self._outward

    @property
    def runs_in_main_process(self) -> bool:
        """Whether ``@run_in_main_process`` keeps this task's jobs in the driver."""
        return self._run_in_main_process

    @property
    def decorated_function_text(self) -> str:
        """``def func(...):`` as Ruffus shows it under a decorator in messages, "" if not decorated."""
        return self._get_decorated_function()

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
        declare_mkdir(task, args, named, description)
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
                self.posttask_functions.append(Toucher(f.args))
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

    def update_active_state(self) -> None:
        """Evaluate the ``@active_if`` checks now (at ``pipeline_run`` time, as Ruffus does)."""
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
    def add_parent(self, parent: Task) -> None:
        """Make ``parent`` one this task follows (once)."""
        if parent not in self._inward:
            self._inward.append(parent)
            parent._outward.append(self)

    def remove_all_parents(self) -> None:
        """Forget every parent: the planner wires them again from the declaration."""
        for parent in self._inward:
            if self in parent._outward:
                parent._outward.remove(self)
        self._inward = []

    def _get_inward(self) -> list[Task]:
        return self._inward

    def _get_outward(self) -> list[Task]:
        return self._outward

    # Ruffus' own names of these methods, kept for the scripts that call them
    _add_parent = add_parent
    _remove_all_parents = remove_all_parents
    _update_active_state = update_active_state
