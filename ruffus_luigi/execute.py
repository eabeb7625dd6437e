"""Run one job: call the task function the way Ruffus does and record the outcome.

This is the code that runs inside a Luigi worker (forked or in-process). It
never plans: the job's parameters come ready from the planner.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

from . import exceptions as rx
from .filenames import flatten_strings

FILE_CHECK_RETRY = 5
FILE_CHECK_SLEEP = 10


@dataclass
class JobOutcome:
    """How one job ended; ``error`` is Ruffus' 5-tuple for ``RethrownJobError``."""

    index: int
    name: str
    ran: bool
    error: tuple | None = None
    signalled_break: bool = False
    started: float = 0.0  # wall clock when the job started
    signature: tuple | None = None  # its files once it ran, when Ruffus' rule must find it up to date
    announced: bool = False  # its "completed" line is logged already (ran in the driver)
    missing_input: tuple | None = None  # not run: an input is missing (Ruffus' error, as ``error``)


def check_input_files_exist(params: Any, retries: int = FILE_CHECK_RETRY, seen: dict | None = None) -> None:
    """Fail clearly when an input is missing (retrying for slow shared file systems).

    ``seen``: files the caller has just stat'ed (found ones are not looked at again).
    """
    if not len(params):
        return
    for f in flatten_strings(params[0]):
        if seen is not None and isinstance(seen.get(f), os.stat_result):
            continue
        tries = retries
        while not os.path.exists(f):
            if os.path.lexists(f):
                raise rx.MissingInputFileError(
                    "No way to run job: Input file '%s' is a broken symbolic link." % f
                )
            tries -= 1
            if tries <= 0:
                raise rx.MissingInputFileError(
                    "No way to run job: Input file '%s' does not exist" % f
                )
            time.sleep(FILE_CHECK_SLEEP)


def touch_outputs(params: Any) -> None:
    """``touch_files_only``: make outputs look new without running the job."""
    if len(params) < 2:
        return
    inputs = {os.path.realpath(f) for f in flatten_strings(params[0])}
    for f in flatten_strings(params[1]):
        if os.path.realpath(f) in inputs:
            continue
        with open(f, "a"):
            os.utime(f, None)


def call_job(style: str, func: Any, params: Any, named_extras: dict | None = None) -> None:
    """Call the task function with Ruffus' calling convention for its kind."""
    if named_extras:
        func(*params[:2], **named_extras)
    elif style == "output_only":
        func(*params[1:])
    else:
        func(*params)


def exception_tuple(task_name: str, job_name: str) -> tuple:
    """The current exception as Ruffus reports it in ``RethrownJobError``."""
    exc_type, exc_value, _ = sys.exc_info()
    value = str(exc_value)
    module = exc_type.__module__
    if module == rx.__name__:  # Ruffus' own exceptions print under Ruffus' module name
        module = "ruffus.ruffus_exceptions"
    return (
        task_name,
        job_name,
        module + "." + exc_type.__name__,
        "(%s)" % value if value else value,
        "" if getattr(exc_value, "ruffus_luigi_no_traceback", False) else traceback.format_exc(),
    )
