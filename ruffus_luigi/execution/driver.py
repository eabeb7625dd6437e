"""The driver and its workers: how a run ends when its driver is told to stop, or dies.

The *driver* is the process that called ``pipeline_run`` (``ruffus-luigi run``); its
worker processes (``slots``, chunks forked on their own) are its children.

- SIGTERM and SIGHUP (``timeout``, a closed terminal, ``kill``) end the run as Ctrl-C does:
  the driver stops its workers, cancels its cluster jobs, records the jobs that finished,
  then dies of the same signal (the exit status the caller expects). A signal the caller
  chose to ignore (``nohup``) or a handler the script set stays as it was.
- A worker never starts a job once its driver is gone: it asks the kernel for SIGTERM when
  its parent dies (``PR_SET_PDEATHSIG``), which ends the job it runs (its output is not
  recorded, so the next run redoes it), and checks its parent before each job.
- A driver killed while running against luigid leaves its chunks listed as running there;
  the next run takes them over once ``ended`` says that driver is gone (``luigi_adapter.worker``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP reached the run: it ends as after Ctrl-C, then dies of the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__("ended by %s" % signal.Signals(signum).name)
        self.signum = signum


_ending = False  # (a second signal while the run ends must not cut its clean-up short)


def ending_handler(signum: int, frame: Any) -> None:
    global _ending
    if _ending:
        return
    _ending = True
    raise Terminated(signum)


@contextmanager
def ending_signals() -> Iterator[None]:
    """SIGTERM/SIGHUP raise ``Terminated`` in the block; after it, the process dies of the signal."""
    global _ending
    installed: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in ENDING_SIGNALS:
            if signal.getsignal(signum) == signal.SIG_DFL:  # (not ignored, no handler of the script's)
                installed[signum] = signal.signal(signum, ending_handler)
    try:
        yield
    except Terminated as e:
        if e.signum not in installed:
            raise
        _restore(installed)
        _ending = False
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), e.signum)  # the default action: the caller sees "killed by SIGTERM"
        raise
    finally:
        _restore(installed)


def _default_in_child() -> None:
    """A forked process starts with the default SIGTERM/SIGHUP, as it would without a run.

    (A job's own ``multiprocessing.Pool`` must die quietly on ``terminate()``; the run's
    workers take the handler back around each chunk: ``stopped_by_sigterm``.)
    """
    global _ending
    _ending = False
    for signum in ENDING_SIGNALS:
        try:
            if signal.getsignal(signum) is ending_handler:
                signal.signal(signum, signal.SIG_DFL)
        except ValueError:
            pass


os.register_at_fork(after_in_child=_default_in_child)


def _restore(installed: dict[int, Any]) -> None:
    for signum, before in installed.items():
        if signal.getsignal(signum) is ending_handler:
            signal.signal(signum, before)


@contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """In a worker, around a chunk: SIGTERM stops the job as Ctrl-C would; elsewhere it ends the worker.

    Stopping that way records the jobs that finished and cancels the chunk's cluster jobs;
    an idle worker (or one whose chunk is over) has nothing to clean up and just goes.
    """
    ours = signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, ending_handler)
    if ours:
        signal.signal(signal.SIGTERM, ending_handler)
    try:
        yield
    finally:
        if ours:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def die_with(driver_pid: int) -> bool:
    """In a worker: be sent SIGTERM when the driver dies. False if it is gone already."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the check before each job still holds
        pass
    return os.getppid() == driver_pid


def ended(pid: int) -> bool:
    """Has the process ``pid`` of this host ended? (A zombie its parent has not reaped yet has.)

    When unsure (the process cannot be looked at), it has not: a caller taking over a dead
    driver's work then waits as before rather than taking a live one's.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # (EPERM: another user's process is there)
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):  # (no /proc here, or it ended just now: asked again next time)
        return False
