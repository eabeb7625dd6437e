"""A job's exception as Ruffus reports it in ``RethrownJobError``: task, job, class, text, traceback."""

from __future__ import annotations

import sys
import traceback

from . import exceptions as rx


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
