"""A task's kind, declared from its decorator's (or Pipeline method's) arguments.

Each kind (``@transform``, ``@files``, ``@mkdir``...) sets how the task's jobs are
described and counted and parses its arguments into named slots; the checks of the
legacy ``@files``/``@parallel`` job lists raise Ruffus' errors with Ruffus' text.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..errors import exceptions as rx
from ..files.printable import ignore_unknown_encoder, shorten_filenames_encoder
from .arguments import parse_task_arguments
from .indicators import combine, formatter, inputs, regex, suffix
from .task_functions import job_wrapper_mkdir

if TYPE_CHECKING:
    from .task import Task

# how a kind's jobs are described in messages (``job_names.job_descriptor``)
ONE_TO_MANY = "one_to_many"
IO = "io"

# the argument slots each kind takes, in order
EXPECTED_ARGUMENTS = {
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
# the exception class (in ``errors.exceptions``) of each kind's errors
ERRORS = {
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
# Ruffus' name of each kind, in its "Duplicate task" message
ACTION_NAMES = {
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


def set_kind(task: Task, kind: str) -> None:
    """Give the task its kind; a second kind for one task is Ruffus' "Duplicate task" error."""
    if task.kind != "task":
        old = ACTION_NAMES[task.kind]
        new = ACTION_NAMES[kind]
        actions = " and ".join(list({old, new}))
        raise rx.error_decorator_args(
            "Duplicate task for:\n\n%s\n\nThis has already been specified with a the same "
            "name or function\n(%r, %s)\n"
            % (task.description_with_args_placeholder % "...", task.display_name, actions)
        )
    task.kind = kind
    task.error_type = getattr(rx, ERRORS[kind])


def use_modify_time(task: Task) -> None:
    """Judge the task's jobs by file times, unless a custom up-to-date check came first."""
    if task.needs_update_func is None:
        task.uses_modify_time = True


def declare(task: Task, kind: str, args: tuple, named: dict) -> None:
    """Record a decorator (or Pipeline method) of the given kind."""
    if kind == "split" and len(args) > 1 and isinstance(args[1], regex):
        kind = "subdivide"  # Ruffus' deprecated @split(input, regex(...), ...)
    if kind == "files":
        _declare_files(task, args)
        return
    if kind == "parallel":
        _declare_parallel(task, args)
        return
    set_kind(task, kind)
    use_modify_time(task)
    task.job_descriptor = {
        "originate": ONE_TO_MANY,
        "subdivide": ONE_TO_MANY,
        "split": ONE_TO_MANY,
    }.get(kind, IO)
    task.indeterminate_output = {"subdivide": 2, "split": 1}.get(kind, 0)
    if kind == "merge":
        task.single_job_single_output = True
    task.parsed_args = parse_task_arguments(
        args, named, EXPECTED_ARGUMENTS[kind], task.description_with_args_placeholder
    )


def _declare_files(task: Task, args: tuple) -> None:
    task.error_type = rx.error_task_files
    use_modify_time(task)
    task.job_descriptor = IO
    if not args:
        raise rx.error_task_files(task, "Too few arguments for @files")
    if len(args) == 1 and callable(args[0]):
        set_kind(task, "files_func")
        task.parsed_args = {"generator": args[0]}
        return
    set_kind(task, "files")
    if len(args) > 1:
        params = copy.copy([args])
        task.single_job_single_output = True
    else:
        params = copy.copy(args[0])
    _check_files_io_parameters(task, params)
    task.parsed_args["input"] = [p[0] for p in params]
    task.parsed_args["output"] = [tuple(p[1:]) for p in params]


def _declare_parallel(task: Task, args: tuple) -> None:
    set_kind(task, "parallel")
    task.job_descriptor = IO
    if not args:
        raise rx.error_task_parallel(task, "Too few arguments for @parallel")
    if len(args) == 1 and callable(args[0]):
        params = args[0]()  # as Ruffus: called now, a generator's body runs when jobs are made
    elif len(args) > 1:
        params = copy.copy([args])
        task.single_job_single_output = True
    else:
        params = copy.copy(args[0])
        _check_parallel_parameters(task, params)
    task.parsed_args = {"params": params}


def declare_files_re(task: Task, args: tuple, named: dict) -> None:
    """``@files_re``: Ruffus' legacy regex form, parsed as a transform with ``combine``."""
    task.syntax = "@files_re"
    set_kind(task, "files_re")
    use_modify_time(task)
    task.job_descriptor = IO
    if len(args) < 3:
        raise task.error_type(task, "Too few arguments for @files_re")
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
    task.description_with_args_placeholder = "%s(%%s)\n%s" % (
        task.syntax,
        task.decorated_function_text,
    )
    task.parsed_args = parse_task_arguments(
        tuple(unwrapped),
        named,
        ["input", "filter", "modify_inputs", "output", "extras"],
        task.description_with_args_placeholder,
    )
    task.files_re_combine = combining


def declare_mkdir(task: Task, args: tuple, named: dict, description: str) -> None:
    """A mkdir task: directories named outright, or made from inputs by a filter."""
    set_kind(task, "mkdir")
    task.job_descriptor = "mkdir"
    task.user_defined_work_func = job_wrapper_mkdir
    if (len(args) > 1 and isinstance(args[1], (formatter, suffix, regex))) or "filter" in named:
        task.mkdir_with_filter = True
        task.parsed_args = parse_task_arguments(
            args,
            named,
            ["input", "filter", "modify_inputs", "output", "output_dir", "extras"],
            description,
        )
        return
    task.mkdir_with_filter = False
    task.func_description = "Make missing directories %s" % shorten_filenames_encoder(args, 0)
    task.has_input_param = False
    if len(args) == 0:
        output: Any = []
    elif len(args) > 1:
        output = args
    elif isinstance(args[0], (list, tuple, set)):
        output = args[0]
    else:
        output = args
    task.parsed_args["output"] = output


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
