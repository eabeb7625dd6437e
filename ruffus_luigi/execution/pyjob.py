"""A Ruffus job packed for another machine: the task function and its parameters, pickled.

``pack`` writes a private directory on the shared file system (``private_dirs``); on the node,
``python -m ruffus_luigi.cli.remote <dir>`` unpacks it, calls the function the way Ruffus
does and writes ``result.pickle`` beside it, which ``read_result`` reads back here.
Functions are pickled by reference, so the node imports them from the same files;
for a function of the script itself (``__main__``) the node loads that script as a
module without running its pipeline (see ``remote``).
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from typing import Any

from . import private_dirs, travelling

JOB_FILE = "job.pickle"
CONTEXT_FILE = "context.json"
RESULT_FILE = "result.pickle"


class UnpicklableJobError(TypeError):
    """A job cannot run on another machine: something it needs cannot be pickled."""


def pack(
    directory: str,
    task_name: str,
    job_name: str,
    func: Any,
    params: Any,
    style: str = "io",
    named_extras: dict | None = None,
    backend: str = "",
) -> str:
    """Write the job into ``directory`` (made private); raise naming the part that cannot be pickled."""
    payload = {"func": func, "params": params, "style": style, "named": named_extras}
    try:
        data = travelling.dumps(payload)
    except Exception as e:
        part, error = unpicklable_part(func, params, named_extras)
        raise UnpicklableJobError(
            "Task %r: %s of %s cannot be pickled to run on back end %r: %s"
            % (task_name, part, job_name, backend, error or e)
        ) from e
    main = sys.modules.get("__main__")
    context = {
        "task_name": task_name,
        "job_name": job_name,
        "sys_path": [os.path.abspath(p) if p else os.getcwd() for p in sys.path],
        "argv": list(sys.argv),
        "main_file": getattr(main, "__file__", None) if b"__main__" in data else None,
    }
    private_dirs.make(directory)
    with open(os.path.join(directory, CONTEXT_FILE), "w") as f:
        json.dump(context, f)
    with open(os.path.join(directory, JOB_FILE), "wb") as f:
        f.write(data)
    for stale in (RESULT_FILE, travelling.LOG_FILE):  # an earlier attempt's must not answer for this one
        try:
            os.unlink(os.path.join(directory, stale))
        except FileNotFoundError:
            pass
    return directory


def unpicklable_part(func: Any, params: Any, named: dict | None) -> tuple[str, Exception | None]:
    """Which of the function and the parameters fails to pickle, and why (``("a parameter",
    None)`` if none does)."""
    roles = ["input", "output"]
    candidates: list[tuple[str, Any]] = [("the task function %s" % getattr(func, "__qualname__", func), func)]
    for i, value in enumerate(params if isinstance(params, (list, tuple)) else [params]):
        role = roles[i] if i < len(roles) else "extras[%d]" % (i - 2)
        candidates.append(("parameter %d (%s = %r)" % (i, role, value), value))
    for key, value in (named or {}).items():
        candidates.append(("named parameter %r" % key, value))
    for label, value in candidates:
        try:
            travelling.dumps(value)
        except Exception as e:
            return label, e
    return "a parameter", None


def write_result(
    directory: str,
    error: tuple | None,
    signalled_break: bool = False,
    dropped_options: list[str] | None = None,
    finished: float | None = None,
) -> None:
    """Record how the job ended (called on the node); written whole or not at all.
    ``dropped_options``: the ``job_other_options`` of ``run_job`` calls run inside the job
    (``nested``) that it did not request. ``finished``: the node's clock when the task
    function returned, the time Ruffus would record its outputs with."""
    tmp = os.path.join(directory, RESULT_FILE + ".tmp.%d" % os.getpid())
    answer: dict[str, Any] = {"error": error, "signalled_break": signalled_break}
    if finished is not None:
        answer["finished"] = finished
    if dropped_options:  # only then: the answer of every other job stays as it was
        answer["dropped_options"] = dropped_options
    with open(tmp, "wb") as f:
        pickle.dump(answer, f)
    os.replace(tmp, os.path.join(directory, RESULT_FILE))


def read_result(directory: str) -> dict | None:
    """``{"error": Ruffus' 5-tuple or None, "signalled_break": bool}`` (and ``"dropped_options"``
    when there were some, ``"finished"`` when the job succeeded), or None if the job wrote none."""
    try:
        with open(os.path.join(directory, RESULT_FILE), "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        return None
