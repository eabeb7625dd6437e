"""Errors that say everything in one line: shown without a traceback when nothing catches them.

An unreachable luigid, a damaged history file or a Ctrl-C are not bugs of the script or of
ruffus-luigi: a traceback through Luigi's worker loop only hides the one thing to do. So
``pipeline_run`` marks such an exception with its line, and an uncaught one is printed as
that line alone (by ``sys.excepthook``; the exit status stays Python's: 1, or death by
SIGINT for Ctrl-C). A script that catches them gets them as before.
``RUFFUS_LUIGI_LOG_LEVEL=DEBUG`` keeps the traceback.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

from ..settings import config

INTERRUPTED = "interrupted: %d jobs were running; run again to continue"


class ClearError(Exception):
    """An error of the environment (not of the script) whose message says what to check.

    Shown as ``ruffus-luigi: <message>`` alone if nothing catches it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        show_as_one_line(self, "ruffus-luigi: " + message)


class SchedulerUnavailable(ClearError):
    """The luigid of the run did not answer as luigid for as long as ``scheduler_timeout`` allows."""


class DamagedHistory(ClearError):
    """The job history file cannot be read or written (not sqlite, truncated, locked, no permission)."""

    def __init__(self, path: str, error: BaseException) -> None:
        text = str(error) or type(error).__name__
        lowered = text.lower()
        if "locked" in lowered or "busy" in lowered:
            what = "another process holds it locked: let it finish, or stop it"
        elif "full" in lowered or "i/o error" in lowered:  # SQLITE_FULL, SQLITE_IOERR (EDQUOT, EIO)
            what = (
                "its file system is full, over quota or failing: free space there (or fix it) and run again;"
                " the history is kept as it was, and jobs whose records could not be written rerun"
            )
        elif "unable to open" in lowered or "readonly" in lowered or "permission" in lowered or isinstance(error, PermissionError):
            what = "check that you may read and write it and its directory"
        else:
            what = "it is damaged: move it aside and run again (a new history is started; jobs whose outputs have no record then rerun)"
        super().__init__("the job history %s cannot be used (%s): %s" % (os.path.abspath(path), text, what))
        self.path = path


def one_line(error: BaseException) -> str | None:
    """The line an uncaught ``error`` is shown as, if it was marked by ``show_as_one_line``."""
    return getattr(error, "_ruffus_luigi_line", None)


def show_as_one_line(error: BaseException, line: str) -> None:
    """If nothing catches ``error``, print ``line`` to stderr instead of its traceback."""
    error._ruffus_luigi_line = line  # type: ignore[attr-defined]
    if config.keep_tracebacks():
        return
    if sys.excepthook is not _excepthook:
        global _previous_hook
        _previous_hook = sys.excepthook
        sys.excepthook = _excepthook


def interrupted(error: KeyboardInterrupt, jobs_running: int) -> None:
    """Mark a Ctrl-C of a run (it stays a KeyboardInterrupt: Python then exits as killed by SIGINT)."""
    line = INTERRUPTED % jobs_running
    error.args = (line,)
    show_as_one_line(error, line)


_previous_hook: Any = sys.__excepthook__


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    line = one_line(value)
    if line is None:
        _previous_hook(kind, value, tb)
        return
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
