"""Ruffus' own DRMAA helpers, kept for scripts that call them (``from ruffus.drmaa_wrapper import *``).

``run_job`` itself does not use them: it goes through the configured back end. ``drmaa``
is imported only when one of its names is used, as loading it needs the DRMAA C library.
"""

from __future__ import annotations

import importlib
import os
import time
import types
from collections.abc import Callable
from queue import Queue
from typing import IO, Any

from ..errors.exceptions import JobFailed
from .job_files import timestamp

GEVENT_TIMEOUT_STARTUP = 5
GEVENT_TIMEOUT_WAIT = 1


class _ImportedOnUse(types.ModuleType):
    """A module imported when one of its attributes is first used.

    Ruffus' module binds ``drmaa``; importing it loads the DRMAA C library (and fails
    without one), which a run that never submits to Grid Engine must not need.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module(self.__name__), name)


drmaa = _ImportedOnUse("drmaa")


def setup_drmaa_job(
    drmaa_session: Any,
    job_name: str | None,
    job_environment: dict | None,
    working_directory: str | None,
    job_other_options: str | None,
) -> Any:
    """A job template of ``drmaa_session`` as Ruffus fills it (named, stdout and stderr apart)."""
    template = drmaa_session.createJobTemplate()
    template.workingDirectory = working_directory or os.getcwd()
    if job_environment:
        template.jobEnvironment = job_environment
    template.args = []
    template.jobName = job_name or "ruffus_job_" + timestamp()  # (some DRMAA libraries fail nameless jobs)
    if job_other_options is not None:
        template.nativeSpecification = job_other_options
    template.joinFiles = False
    return template


def submit_drmaa_job(cmd_str: str, drmaa_session: Any, job_template: Any, logger: Any, pipeline: Any) -> tuple[str, None]:
    """Run ``job_template`` and wait for it: ``(job id, None)``; ``JobFailed`` if Grid Engine failed it."""
    job_id = drmaa_session.runJob(job_template)
    if logger:
        logger.debug(f"job has been submitted with jobid {job_id}")
    time.sleep(GEVENT_TIMEOUT_WAIT)
    while True:
        try:
            status = drmaa_session.jobStatus(job_id)
        except Exception as e:  # noqa: BLE001 - PBS' "code 24": finished, no usage figures
            if not str(e).startswith("code 24"):
                raise
            status = drmaa.JobState.DONE
        if status == drmaa.JobState.DONE:
            return job_id, None
        if status == drmaa.JobState.FAILED:
            raise JobFailed(f"job {job_id} failed")
        time.sleep(GEVENT_TIMEOUT_WAIT)


def enqueue_output(out: IO[str], queue: Queue, echo: IO[str] | None) -> None:
    """Put each line read from ``out`` on ``queue`` (and write it to ``echo``) until it ends."""
    pump_lines(out, queue.put, echo)


def pump_lines(stream: IO[str], keep: Callable[[str], Any], echo: IO[str] | None) -> None:
    """``keep`` each line read from ``stream`` (and write it to ``echo``) until it ends."""
    for line in iter(stream.readline, ""):
        keep(line)
        if echo is not None:
            echo.write(line)
            echo.flush()
    stream.close()
