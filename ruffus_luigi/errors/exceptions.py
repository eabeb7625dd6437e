"""Ruffus' exception classes: same names, hierarchy, attributes and text.

Scripts catch these by name (``ruffus.ruffus_exceptions.X``) and tests read
their text, so both follow Ruffus 3.0.0.
"""

from __future__ import annotations

import os  # noqa: F401 - with sys and defaultdict, given by `from ruffus.ruffus_exceptions import *` in Ruffus
import sys  # noqa: F401
from collections import defaultdict  # noqa: F401
from typing import Any


class error_task(Exception):  # noqa: N801 - Ruffus' public names
    """Base of every Ruffus error; can name the tasks it concerns."""

    def __init__(self, *errmsg: Any) -> None:
        super().__init__(*errmsg)
        self.tasks: set = set()
        self.main_msg = ""

    def get_main_msg(self) -> str:
        names = "\n".join("task = %r" % t._name for t in self.tasks)
        if self.main_msg:
            return "\n\n" + self.main_msg + " for\n\n%s\n" % names
        return "\n\n%s\n" % names

    def __str__(self) -> str:
        msg = self.get_main_msg() + " ".join(map(str, self.args))
        return "    " + msg.replace("\n", "\n    ")

    def specify_task(self, task: Any, main_msg: str) -> error_task:
        """Record the task this error is about and the headline to show."""
        self.tasks.add(task)
        self.main_msg = main_msg
        return self


class error_task_contruction(error_task):  # noqa: N801 - Ruffus' spelling
    """An error in how a task was declared."""

    def __init__(self, task: Any, main_msg: str, *errmsg: Any) -> None:
        super().__init__(*errmsg)
        self.specify_task(task, main_msg)


class RethrownJobError(error_task):
    """Job failures, carried back from wherever the jobs ran.

    ``job_exceptions`` holds ``(task_name, job_name, exception_name,
    exception_value, stack_text)`` per failed job.
    """

    def __init__(self, job_exceptions: Any = ()) -> None:
        super().__init__()
        self.job_exceptions = list(job_exceptions)

    def __len__(self) -> int:
        return len(self.job_exceptions)

    def append(self, job_exception: tuple) -> None:
        self.job_exceptions.append(job_exception)

    def task_to_func_name(self, task_name: str) -> str:
        if "mkdir " in task_name:
            return task_name
        return "def %s(...):" % task_name.replace("__main__.", "")

    def get_nth_exception_str(self, nn: int = -1) -> str:
        if nn == -1:
            nn = len(self.job_exceptions) - 1
        task_name, job_name, name, value, stack = self.job_exceptions[nn]
        message = "\nException #%d\n" % (nn + 1)
        message += "  '%s%s' raised in ...\n" % (name, value)
        if task_name:
            message += "   Task = %s\n   %s\n\n" % (self.task_to_func_name(task_name), job_name)
        message += "%s\n" % (stack,)
        return message.replace("\n", "\n    ")

    def __str__(self) -> str:
        plural = "s" if len(self.job_exceptions) > 1 else ""
        parts = ["\nOriginal exception%s:\n" % plural]
        parts += [self.get_nth_exception_str(i) for i in range(len(self.job_exceptions))]
        return self.get_main_msg().replace("\n", "\n    ") + "".join(parts)


class error_input_file_does_not_match(error_task):  # noqa: N801
    pass


class fatal_error_input_file_does_not_match(error_task):  # noqa: N801
    pass


class task_FilesArgumentsError(error_task):  # noqa: N801
    pass


class task_FilesreArgumentsError(error_task):  # noqa: N801
    pass


class MissingInputFileError(error_task):  # noqa: N801
    pass


class JobSignalledBreak(error_task):  # noqa: N801
    pass


class JobSignalledSuspend(error_task):  # noqa: N801
    pass


class JobSignalledResume(error_task):  # noqa: N801
    pass


class JobFailed(error_task):  # noqa: N801
    pass


class PostTaskArgumentError(error_task):  # noqa: N801
    pass


class JobsLimitArgumentError(error_task):  # noqa: N801
    pass


class error_making_directory(error_task):  # noqa: N801
    pass


class error_duplicate_task_name(error_task):  # noqa: N801
    pass


class error_decorator_args(error_task):  # noqa: N801
    pass


class error_task_name_lookup_failed(error_task):  # noqa: N801
    pass


class error_task_decorator_takes_no_args(error_task):  # noqa: N801
    pass


class error_function_is_not_a_task(error_task):  # noqa: N801
    pass


class error_ambiguous_task(error_task):  # noqa: N801
    pass


class error_not_a_pipeline(error_task):  # noqa: N801
    pass


class error_circular_dependencies(error_task):  # noqa: N801
    pass


class error_not_a_directory(error_task):  # noqa: N801
    pass


class error_missing_output(error_task):  # noqa: N801
    pass


class error_job_signalled_interrupt(error_task):  # noqa: N801
    pass


class error_node_not_task(error_task):  # noqa: N801
    pass


class error_missing_runtime_parameter(error_task):  # noqa: N801
    pass


class error_unescaped_regular_expression_forms(error_task):  # noqa: N801
    pass


class error_checksum_level(error_task):  # noqa: N801
    pass


class error_missing_args(error_task):  # noqa: N801
    pass


class error_too_many_args(error_task):  # noqa: N801
    pass


class error_inputs_multiple_args(error_task):  # noqa: N801
    pass


class error_set_input(error_task):  # noqa: N801
    pass


class error_set_output(error_task):  # noqa: N801
    pass


class error_no_head_tasks(error_task):  # noqa: N801
    pass


class error_no_tail_tasks(error_task):  # noqa: N801
    pass


class error_executable_str(error_task):  # noqa: N801
    pass


class error_extras_wrong_type(error_task):  # noqa: N801
    pass


class error_task_get_output(error_task_contruction):  # noqa: N801
    pass


class error_task_transform_inputs_multiple_args(error_task_contruction):  # noqa: N801
    pass


class error_task_transform(error_task_contruction):  # noqa: N801
    pass


class error_task_product(error_task_contruction):  # noqa: N801
    pass


class error_task_mkdir(error_task_contruction):  # noqa: N801
    pass


class error_task_permutations(error_task_contruction):  # noqa: N801
    pass


class error_task_combinations(error_task_contruction):  # noqa: N801
    pass


class error_task_combinations_with_replacement(error_task_contruction):  # noqa: N801
    pass


class error_task_merge(error_task_contruction):  # noqa: N801
    pass


class error_task_subdivide(error_task_contruction):  # noqa: N801
    pass


class error_task_originate(error_task_contruction):  # noqa: N801
    pass


class error_task_collate(error_task_contruction):  # noqa: N801
    pass


class error_task_collate_inputs_multiple_args(error_task_contruction):  # noqa: N801
    pass


class error_task_split(error_task_contruction):  # noqa: N801
    pass


class error_task_files_re(error_task_contruction):  # noqa: N801
    pass


class error_task_files(error_task_contruction):  # noqa: N801
    pass


class error_task_parallel(error_task_contruction):  # noqa: N801
    pass
