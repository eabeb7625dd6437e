"""Shared loggers and locks in a job that runs on another machine.

The ``ruffus.cmdline`` idiom hands every job the logger proxy and the mutex of
``proxy_logger.make_shared_logger_and_proxy``. Both are handles on a manager process
of the submitting host, reachable only with that process's secret key, which a node
does not have: unpickled there they fail with ``AuthenticationError``. So when a job is
packed for a node, a shared logger travels as a :class:`NodeLogger` that appends each
call to a file in the job's directory, and the driver replays those calls, in order,
through the real logger once the job has ended (:func:`replay`). A shared lock (manager
lock, ``multiprocessing`` lock) travels as a :class:`NodeLock`: the jobs of a run on a
cluster cannot share one, and the idiom only uses it to keep log lines whole, which
the replay already does.
"""

from __future__ import annotations

import io
import os
import pickle
from multiprocessing import synchronize
from multiprocessing.managers import AcquirerProxy, Token
from typing import Any

from ..proxy_logger import LoggerProxy

LOG_FILE = "log_calls.pickle"
"""In a packed job's directory: the node's logger calls, one pickle after another."""

_job_dir: str | None = None
"""The directory of the job this node process runs (set by ``remote.run``)."""

_LOCK_TYPES = (AcquirerProxy, synchronize.Lock, synchronize.RLock)


def set_job_dir(directory: str) -> None:
    """Tell the node's loggers where the job's log calls go."""
    global _job_dir
    _job_dir = directory


class NodeLogger:
    """A shared logger's stand-in on a node: records each call for the driver to replay."""

    def __init__(self, token: Token) -> None:
        self.token = token

    def _record(self, method: str, args: tuple, kwargs: dict) -> None:
        if _job_dir is None:
            raise RuntimeError("a shared logger was used outside a job run by ruffus_luigi.cli.remote")
        call = (self.token, method, args, kwargs)
        try:
            data = pickle.dumps(call)
        except Exception:  # arguments that cannot travel are logged as the text they make
            data = pickle.dumps((self.token, method, _as_text(method, args), {}))
        with open(os.path.join(_job_dir, LOG_FILE), "ab") as f:
            f.write(data)

    def debug(self, *args: Any, **kwargs: Any) -> None:
        self._record("debug", args, kwargs)

    def info(self, *args: Any, **kwargs: Any) -> None:
        self._record("info", args, kwargs)

    def warning(self, *args: Any, **kwargs: Any) -> None:
        self._record("warning", args, kwargs)

    def error(self, *args: Any, **kwargs: Any) -> None:
        self._record("error", args, kwargs)

    def critical(self, *args: Any, **kwargs: Any) -> None:
        self._record("critical", args, kwargs)

    def log(self, *args: Any, **kwargs: Any) -> None:
        self._record("log", args, kwargs)


def _as_text(method: str, args: tuple) -> tuple:
    """The call's arguments with its message made into text, as ``logging`` would make it."""
    head = 2 if method == "log" else 1  # log(level, msg, *args)
    fixed, msg, rest = args[: head - 1], args[head - 1 : head], args[head:]
    try:
        text = str(msg[0]) % rest if rest else str(msg[0]) if msg else ""
    except Exception:
        text = " ".join(map(str, msg + rest))
    return fixed + (text,)


class NodeLock:
    """A shared lock's stand-in on a node: taking it always succeeds at once."""

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        return True

    def release(self) -> None:
        return None

    def __enter__(self) -> bool:
        return True

    def __exit__(self, *exc: object) -> None:
        return None


class JobPickler(pickle.Pickler):
    """Pickles a job for a node, shared loggers and locks replaced by their node stand-ins."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, LoggerProxy):
            return NodeLogger, (obj._token,)
        if isinstance(obj, _LOCK_TYPES):
            return NodeLock, ()
        return NotImplemented


def dumps(payload: Any) -> bytes:
    """``payload`` pickled with :class:`JobPickler`."""
    buffer = io.BytesIO()
    JobPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(payload)
    return buffer.getvalue()


def replay(directory: str) -> None:
    """Send the logger calls a job made on its node to the real shared loggers, in order.

    Called in the process that submitted the job, which holds the manager's key. Each
    call is sent once: the file is removed when replayed.
    """
    path = os.path.join(directory, LOG_FILE)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    proxies: dict[Any, LoggerProxy] = {}
    with f:
        while True:
            try:
                token, method, args, kwargs = pickle.load(f)
            except EOFError:
                break
            key = (token.address, token.id)
            if key not in proxies:
                proxies[key] = LoggerProxy(token, "pickle", incref=False)
            getattr(proxies[key], method)(*args, **kwargs)
    os.unlink(path)
