"""The functions that do a task's work when the script gave no Python function of its own.

A shell-command string (``pipeline.transform("cmd {input} > {output}", ...)``), a mkdir
task and ``@posttask(touch_file(...))`` each get one of these as their callable.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from ..files.filenames import flatten_strings


def shell_command(**named: Any) -> None:
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


class Toucher:
    """``@posttask(touch_file(...))``: create or touch the files."""

    def __init__(self, names: tuple) -> None:
        self.names = [names] if isinstance(names, str) else list(names)

    def __call__(self) -> None:
        for name in self.names:
            if os.path.exists(name):
                os.utime(name, None)
            else:
                open(name, "w").close()
