"""``ruffus-luigi status SCRIPT``: what a run of the script would do, task by task; nothing runs.

The script is loaded as ``ruffus-luigi run`` loads it, but its first ``pipeline_run``
(or ``pipeline_printout``, ``pipeline_printout_graph``, ``cmdline.run``) only hands its
arguments over and ends the script (``pipeline_calls``). Those arguments are then planned as
the run would plan them (``plan.prepare``, ``tasks_to_run``, the checkpoint strategies'
say through ``strategy_choice.dry_run``), against a private copy of the job history, so
the history's bytes, the working directory's files and their times stay as they were.

The ``--json`` document (``SCHEMA``, ``VERSION``) is an interface: see docs/status.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..checkpoints.intermediates import freed_files, size_text
from ..errors.clear_errors import DamagedHistory
from ..planning import reasons
from ..planning.history_settings import get_default_checksum_level, get_default_history_file_name
from ..planning.history_store import MEMORY
from ..planning.plan import prepare, tasks_to_run
from ..planning.strategy_choice import dry_run

SCHEMA = "ruffus-luigi/status"
VERSION = 1

# -- the plan -------------------------------------------------------------------------
@contextmanager
def private_history(history_file: str) -> Iterator[str | None]:
    """A copy of ``history_file`` to plan against (None: there is none yet), removed afterwards.

    Planning opens the history read-write (tables, migration, the plan cache); the copy
    takes that, so the real file is never written. Read through sqlite's backup, which
    sees committed data only (a run writing meanwhile does not damage the copy). A run
    killed while writing leaves a hot journal, which only a writer may roll back: the
    file and its journal are then copied as they are, and the copy is rolled back.
    """
    if not os.path.exists(history_file):
        yield None
        return
    directory = tempfile.mkdtemp(prefix="ruffus-luigi-status-")
    copy = os.path.join(directory, "history.sqlite")
    try:
        try:
            try:
                _backup("file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(history_file)), copy)
            except sqlite3.OperationalError as e:
                leftovers = [s for s in ("-journal", "-wal") if os.path.exists(history_file + s)]
                if "readonly" not in str(e) or not leftovers:
                    raise
                shutil.copyfile(history_file, copy + ".rolled-back")
                for suffix in leftovers:
                    shutil.copyfile(history_file + suffix, copy + ".rolled-back" + suffix)
                _backup(copy + ".rolled-back", copy)
        except (sqlite3.DatabaseError, OSError) as e:
            raise DamagedHistory(history_file, e) from None
        yield copy
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _backup(source_name: str, copy: str) -> None:
    """Copy a database, waiting 5 s at most for another process's lock (then: "database is locked").

    The read lock is taken first, under the busy timeout, and held through the copy:
    sqlite's backup itself would wait for a lock without end.
    """
    source = sqlite3.connect(source_name, uri=source_name.startswith("file:"), timeout=5, isolation_level=None)
    try:
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def default_history_file(arguments: dict[str, Any]) -> str:
    """The history file the intercepted call would have used."""
    return arguments.get("history_file") or get_default_history_file_name()


def plan(arguments: dict[str, Any]) -> dict[str, Any]:
    """The status document of the intercepted call's pipeline (``SCHEMA``, version ``VERSION``)."""
    history_file = default_history_file(arguments)
    checksum_level = arguments.get("checksum_level")
    with private_history(history_file) as copy:
        if copy is None:
            checksum_level = get_default_checksum_level() if checksum_level is None else checksum_level
        session = prepare(
            checksum_level,
            copy or MEMORY,
            arguments.get("pipeline"),
            arguments.get("runtime_data"),
            arguments.get("target_tasks"),
            arguments.get("forcedtorun_tasks"),
        )
        planner = session.planner
        # keys relative to the real history's directory, as the run's are
        planner.history.path_base = os.path.dirname(os.path.abspath(history_file))
        planner.history._keys.clear()
        try:
            with dry_run(session, copy, arguments.get("checkpoint"), arguments.get("keep")):
                maximal = arguments.get("gnu_make_maximal_rebuild_mode", True)
                incomplete, _ = tasks_to_run(planner, session.targets, session.forced, maximal)
                everything, _ = tasks_to_run(planner, session.targets, True, maximal)
                tasks = reasons.tasks_report(planner, everything, incomplete, set(session.forced))
        finally:
            planner.history.close()
        freed_now = freed(copy) if copy is not None else freed(history_file)
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "history_file": os.path.abspath(history_file),
        "tasks": tasks,
        "freed": freed_now,
    }


def freed(history_file: str) -> dict[str, Any]:
    """The intermediates checkpoint strategies zeroed or removed, and the bytes that saved."""
    rows = freed_files(history_file)
    return {
        "files": [{"path": p, "state": state, "bytes": size, "task": task} for p, state, size, task in rows],
        "bytes": sum(size for _, _, size, _ in rows),
    }


# -- showing it -------------------------------------------------------------------------
def text(report: dict[str, Any], verbose: int = 0) -> str:
    """The human form: one line per task, and at ``-v`` the reason per out-of-date job."""
    lines = reasons.text_lines(report["tasks"], verbose)
    files = report["freed"]["files"]
    if files:
        if verbose:
            lines.extend("%-7s %12s  %s  (made by %s)" % (f["state"], size_text(f["bytes"]), f["path"], f["task"]) for f in files)
        lines.append(
            "%d zeroed, %d removed: %s saved"
            % (sum(f["state"] == "zeroed" for f in files), sum(f["state"] == "removed" for f in files), size_text(report["freed"]["bytes"]))
        )
    waiting = sum(1 for t in report["tasks"] if not t["up_to_date"])
    lines.append(
        "%d of %d tasks out of date, %d jobs to run (history: %s)"
        % (waiting, len(report["tasks"]), sum(t["jobs"]["out_of_date"] for t in report["tasks"]), report["history_file"])
    )
    return "\n".join(lines) + "\n"


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=str) + "\n"
