"""Ruffus 3.0.0's up-to-date rule for one job, with the reason ``pipeline_printout`` shows.

A job must run when a file is missing, (checksum level 1+) an output has no history
record, (2+) the task function or (3) the job's extra parameters changed, or an input
is at least as new as the oldest output; ``needs_update_check_modify_time`` is Ruffus'
public name for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ..files import absent
from ..files.filenames import flatten_strings
from ..files.printable import epoch_seconds_to_str, shorten_filenames_encoder
from .history_records import JobHistoryChecksum
from .history_settings import (
    CHECKSUM_FILE_TIMESTAMPS,
    CHECKSUM_FUNCTIONS,
    CHECKSUM_FUNCTIONS_AND_PARAMS,
    CHECKSUM_HISTORY_TIMESTAMPS,
)
from .history_store import MISSING, JobHistory, get_history_file_path, open_job_history


class _JobRecords:
    """One job's history records, read in one query and unpickled when first needed."""

    def __init__(self, history: Any, paths: Iterable[str]) -> None:
        self.history = history
        self.values: dict[str, Any] = {}
        self.raw: dict[str, bytes] = {}
        self.keys: dict[str, str | bytes] = {}
        self.fetch(paths)

    def fetch(self, paths: Iterable[str]) -> None:
        """Read the records of more files (before ``get`` asks for them), in one query."""
        history = self.history
        if isinstance(history, JobHistory):
            keys = {p: history.key(p) for p in paths if p not in self.keys}
            self.keys.update(keys)
            self.raw.update(history.fetch_raw(set(keys.values())))

    def get(self, path: str) -> Any:
        """The record of a file, or MISSING."""
        history = self.history
        if not isinstance(history, JobHistory):
            key = get_history_file_path(path, history)
            return history[key] if key in history else MISSING
        key = self.keys.get(path) or history.key(path)
        if key not in self.values:
            raw = self.raw.get(key)
            self.values[key] = MISSING if raw is None else history.decode(key, raw)
        return self.values[key]


# -- the up-to-date rule -------------------------------------------------------------
def _files_with_dates(
    inputs: list[tuple[float, str]], outputs: list[tuple[float, str]], vap: int
) -> str:
    """Ruffus' input/output listing with dates; ``*`` marks the files that make it stale."""
    inputs.sort()
    outputs.sort()
    star: dict[str, str] = {}
    # (Ruffus compares outputs with the newest *input*; kept as is.)
    oldest_output = outputs[0][0] if outputs else float("inf")
    for mtime, name in inputs:
        star[name] = "*" if mtime >= oldest_output else " "
    newest_input = inputs[-1][0]
    for mtime, name in outputs:
        star[name] = "*" if mtime <= newest_input else " "
    msg = "\n"
    for category, files in (("Input", inputs), ("Output", outputs)):
        msg += f"  {category} files:\n"
        for mtime, name in files:
            msg += (
                "   "
                + star[name]
                + " "
                + epoch_seconds_to_str(mtime)
                + ": "
                + shorten_filenames_encoder(name, vap)
                + "\n"
            )
    return msg


def job_needs_update(
    input_files: Sequence[str],
    output_files: Sequence[str],
    extra_params: Sequence[Any],
    task_func: Any,
    checksum_level: int,
    history: Any,
    verbose_abbreviated_path: int = -55,
    return_file_dates_when_uptodate: bool = False,
    explain: bool = True,
    stats: dict[str, Any] | None = None,
) -> tuple[bool, str]:
    """Whether one job must run, and why: Ruffus 3.0.0's ``needs_update_check_modify_time``.

    ``input_files``/``output_files`` are the job's flattened file names. The reason
    text is what ``pipeline_printout`` shows. In order: missing files; (level 1+)
    outputs without a record, (2+) a changed function, (3) changed extra
    parameters; then an input at least as new as the oldest output, where at level
    1+ an input's time is the later of its mtime and its record, and an output's
    is its record unless that is more than 1.1 s after the file.
    """
    i = list(input_files)
    o = list(output_files)
    vap = verbose_abbreviated_path
    if not o:
        return True, "Missing output file"

    # one stat per file: existence, mtime and identity (``stats``: the caller's dict to fill)
    if stats is None:
        stats = {}
    missing = []
    for p in i + o:
        if p not in stats:
            stats[p] = absent.stat(p)
        if stats[p] is None:
            missing.append(p)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        if not explain:
            return True, ""
        return True, f"...\n        Missing file{plural} {shorten_filenames_encoder(missing, vap)}"

    use_history = checksum_level >= CHECKSUM_HISTORY_TIMESTAMPS
    records = _JobRecords(history, o if use_history else ())  # inputs' records: below, if needed
    if use_history:
        incomplete: list[str] = []
        for p in o:
            if records.get(p) is MISSING and p not in incomplete:
                incomplete.append(p)
        if incomplete:
            plural = "s" if len(incomplete) > 1 else ""
            names = shorten_filenames_encoder(incomplete, vap)
            return (
                True,
                f"Uncheckpointed file{plural} (left over from a failed run?):\n        {names}",
            )
        func_changed: list[str] = []
        param_changed: list[str] = []
        if checksum_level >= CHECKSUM_FUNCTIONS:
            new = JobHistoryChecksum(None, None, tuple(extra_params), task_func)
            for p in o:
                old = records.get(p)
                # (Ruffus de-duplicates both lists against the function list only.)
                if (
                    checksum_level >= CHECKSUM_FUNCTIONS_AND_PARAMS
                    and new.chksum_params != old.chksum_params
                    and p not in func_changed
                ):
                    param_changed.append(p)
                elif new.chksum_func != old.chksum_func and p not in func_changed:
                    func_changed.append(p)
        if func_changed:
            names = shorten_filenames_encoder(func_changed, vap)
            return True, f"Pipeline function has changed:\n        {names}"
        if param_changed:
            names = shorten_filenames_encoder(param_changed, vap)
            return True, f"Pipeline parameters have changed:\n        {names}"

    if not i:
        return False, "Missing input files"

    inodes = _inputs_by_inode(i, o, stats)

    out_times: list[tuple[float, str]] = []
    for p in o:
        st = stats[p]
        # An output that is (a link to) an input passes through: no date to compare.
        # Ruffus compares real paths; only a file with an input's inode can match.
        same = inodes.get((st.st_dev, st.st_ino))  # type: ignore[union-attr]
        if same and os.path.realpath(p) in {os.path.realpath(q) for q in same}:
            continue
        mtime = st.st_mtime  # type: ignore[union-attr]
        if use_history:
            recorded = records.get(p).mtime
            if not (recorded > mtime and recorded - mtime > 1.1):
                mtime = recorded
        out_times.append((mtime, p))

    oldest_output = min((t for t, _ in out_times), default=None)
    if not explain and oldest_output is not None:
        # an input's time is at least its file's: a new enough file settles it unread
        if any(stats[p].st_mtime >= oldest_output for p in i):  # type: ignore[union-attr]
            return True, ""
    if use_history:
        records.fetch(i)
    in_times: list[tuple[float, str]] = []
    for p in i:
        mtime = stats[p].st_mtime  # type: ignore[union-attr]
        if use_history:
            rec = records.get(p)
            if rec is not MISSING:
                mtime = max(mtime, rec.mtime)
        if not explain and oldest_output is not None and mtime >= oldest_output:
            return True, ""  # (no reason wanted: the other inputs need not be read)
        in_times.append((mtime, p))

    if in_times and out_times and max(t for t, _ in in_times) >= min(t for t, _ in out_times):
        return True, _files_with_dates(in_times, out_times, vap) if explain else ""
    if return_file_dates_when_uptodate:
        return False, "Up to date\n" + _files_with_dates(in_times, out_times, vap)
    return False, "Up to date"


def _inputs_by_inode(inputs: list[str], outputs: list[str], stats: dict[str, Any]) -> dict[tuple[int, int], list[str]]:
    """The inputs that share a file (device, inode) with an output: the only ones that can pass through."""
    wanted = {(stats[p].st_dev, stats[p].st_ino) for p in outputs}
    inodes: dict[tuple[int, int], list[str]] = {}
    for p in inputs:
        key = (stats[p].st_dev, stats[p].st_ino)
        if key in wanted:
            inodes.setdefault(key, []).append(p)
    return inodes


def params_need_update(
    params: Sequence[Any],
    task_func: Any,
    checksum_level: int,
    history: Any,
    verbose_abbreviated_path: int = -55,
    return_file_dates_when_uptodate: bool = False,
    explain: bool = True,
    stats: dict[str, Any] | None = None,
) -> tuple[bool, str]:
    """``job_needs_update`` for a job's raw parameters ``(input, output, extras...)``.

    ``explain=False`` skips building the reason text (for callers that do not show it).
    """
    if len(params) < 2:
        return True, ""
    return job_needs_update(
        flatten_strings(params[0]),
        flatten_strings(params[1]),
        params[2:],
        task_func,
        checksum_level,
        history,
        verbose_abbreviated_path,
        return_file_dates_when_uptodate,
        explain,
        stats,
    )


def needs_update_check_modify_time(*params: Any, **kwargs: Any) -> tuple[bool, str]:
    """Ruffus' public up-to-date test: ``(*params, task=, job_history=, ...)``.

    Without ``task`` it checks file times only (level 0); without ``job_history``
    it opens the default history file, printing Ruffus' "Oops" to stderr.
    """
    task = kwargs.get("task")
    level = CHECKSUM_FILE_TIMESTAMPS if task is None else task.checksum_level
    func = getattr(task, "user_defined_work_func", None)
    vap = kwargs.get("verbose_abbreviated_path", -55)
    opened = None
    if "job_history" in kwargs:
        history = kwargs["job_history"]
    else:
        print("Oops: Should only appear in test code", file=sys.stderr)
        history = opened = open_job_history(None)
    try:
        return params_need_update(
            params,
            func,
            level,
            history,
            vap,
            bool(kwargs.get("return_file_dates_when_uptodate")),
        )
    finally:
        if opened is not None:
            opened.close()
