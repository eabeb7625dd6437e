"""Finished jobs recorded in (and failed ones forgotten from) Ruffus 3.0.0's job history.

A finished job's existing outputs each get a record (``history_records``) dated as
Ruffus dates them (``completion_mtime``); the records of many jobs are written in one
commit. The history file itself is ``history_store``; the up-to-date rule that reads it
is ``uptodate``.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ..files.filenames import flatten_strings
from ..files.stored_names import stored_name
from .history_records import JobHistoryChecksum
from .history_store import JobHistory, get_history_file_path

__all__ = [
    "completion_mtime",
    "forget_job",
    "forget_jobs",
    "job_output_files",
    "record_job",
    "record_jobs",
]


# -- recording completed jobs ------------------------------------------------------
def completion_mtime(path: str, now: float | None = None) -> tuple[float, bool]:
    """The time Ruffus records for a finished output, and whether the file clock is ahead.

    The wall clock usually has a finer resolution than file times, so it is used
    when it is at most 1.1 s after the file's mtime; a file time in the future
    (clock skew, e.g. over NFS) is kept and reported. ``now`` is when the job ended
    (Ruffus records each job as it ends): an output whose file is not newer than its
    input (a hard link, a copy keeping the input's time) is up to date next time only
    if this is the job's own end, not the end of a batch of jobs recorded together.
    """
    mtime = os.path.getmtime(path)
    if now is None:
        now = time.time()
    if now < mtime:
        return mtime, True
    if now - mtime < 1.1:
        return now, False
    return mtime, False


def job_output_files(params: Sequence[Any]) -> list[str]:
    """A finished job's existing outputs, absolute, re-globbed, without passed-through inputs.

    ``params`` are the job's unglobbed parameters (Ruffus'
    ``get_job_result_output_file_names``).
    """
    if len(params) <= 1:
        return []
    outputs = params[1] if isinstance(params[1], list) else [params[1]]
    found = []
    for pattern in flatten_strings(outputs):
        if glob.has_magic(pattern):
            found.extend(os.path.abspath(name) for name in glob.glob(pattern))
        elif os.path.lexists(pattern):  # what glob.glob does for a plain name
            found.append(os.path.abspath(pattern))
    if found:
        inputs = {os.path.abspath(p) for p in _may_name(flatten_strings([params[0]]), found)}
        found = [f for f in found if f not in inputs]
    return found


def _may_name(inputs: list[str], outputs: list[str]) -> list[str]:
    """The inputs that could name one of these absolute paths: those with its basename.

    Only they need making absolute (a @merge has thousands of inputs). ``str.endswith``
    lets a superset through cheaply (with every name whose basename may be "", "." or
    ".."); the exact test runs on those few.
    """
    names = {os.path.basename(f) for f in outputs}
    suffixes = (*names, os.sep, ".")
    return [
        p
        for p in inputs
        if (p.endswith(suffixes) or not p) and os.path.basename(p) in (*names, "", ".", "..")
    ]


def _job_records(
    history: Any, params: Sequence[Any], task_func: Any, finished: float | None = None
) -> tuple[list[tuple[str | bytes, JobHistoryChecksum]], bool]:
    outputs = job_output_files(params)
    if not outputs:
        return [], False
    try:
        proto = JobHistoryChecksum(None, None, tuple(params[2:]), task_func)
    except Exception:
        # Ruffus swallows this too: the job is simply not checkpointed
        return [], False
    rows = []
    skewed = False
    for path in outputs:
        try:
            mtime, ahead = completion_mtime(path, finished)
        except OSError:
            continue
        skewed = skewed or ahead
        key = history.key(path) if isinstance(history, JobHistory) else get_history_file_path(path, history)
        rows.append(
            (
                key,
                JobHistoryChecksum.from_checksums(
                    stored_name(key), mtime, proto.chksum_params, proto.chksum_func
                ),
            )
        )
    return rows, skewed


def _store(history: Any, rows: list[tuple[str | bytes, JobHistoryChecksum]]) -> None:
    if isinstance(history, JobHistory):
        history.put_many(rows)
    else:
        for key, rec in rows:
            history[key] = rec


def record_job(
    history: Any, params: Sequence[Any], task_func: Any, checksum_level: int | None = None
) -> bool:
    """Checkpoint a successfully finished job's outputs (one commit).

    ``params`` are the job's unglobbed parameters. Returns True when an output's
    mtime is in the future, which is when Ruffus switches to one second per job.
    ``checksum_level`` is accepted for symmetry; Ruffus records at every level.
    """
    rows, skewed = _job_records(history, params, task_func)
    _store(history, rows)
    return skewed


def record_jobs(
    history: Any,
    jobs: Iterable[tuple[Sequence[Any], Any]],
    settled: list[float | None] | None = None,
    finished: Sequence[float | None] | None = None,
) -> bool:
    """Checkpoint many finished jobs, ``(unglobbed params, task function)`` pairs, in one commit.

    ``settled`` receives, per job, the time the up-to-date rule will give its oldest
    recorded output (None when nothing was recorded). ``finished``: per job, the wall
    clock when it ended (``completion_mtime``'s ``now``; 0 or None: now).
    """
    rows: list[tuple[str | bytes, JobHistoryChecksum]] = []
    skewed = False
    for n, (params, func) in enumerate(jobs):
        when = finished[n] if finished else None
        job_rows, job_skewed = _job_records(history, params, func, when or None)
        rows.extend(job_rows)
        skewed = skewed or job_skewed
        if settled is not None:
            settled.append(min((r.mtime for _, r in job_rows), default=None))
    _store(history, rows)
    return skewed


def forget_job(history: Any, params: Sequence[Any]) -> None:
    """Drop the records of a job's existing outputs (a failed job's outputs are bogus)."""
    forget_jobs(history, [params])


def forget_jobs(history: Any, jobs: Iterable[Sequence[Any]]) -> None:
    """``forget_job`` for many jobs' parameters, in one statement."""
    paths = [p for params in jobs for p in job_output_files(params)]
    if isinstance(history, JobHistory):
        history.delete(paths)
    else:
        for p in paths:
            history.pop(get_history_file_path(p, history), None)
