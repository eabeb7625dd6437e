"""``zero-intermediates`` and ``remove-intermediates``: free the space of files only Ruffus' bookkeeping needed.

An intermediate file is an output of one task read by another, not an output of a
target task, not protected (``keep`` patterns, a task's ``keep_outputs``). Once every
job reading it is done, it is truncated to 0 bytes with its modification time kept
(``zero``) or deleted (``remove``), and the table ``ruffus_luigi_intermediates`` of the
history database remembers its size and time. Planning then sees a removed file as
present with its old time, so the pipeline stays up to date and nothing reruns.

When a job that reads such a file must run again, the file is brought back first: its
producer's job is made to run (and so on upstream, for files of that job that are
gone too), before the run plans anything else.
"""

from __future__ import annotations

import fnmatch
import os
import sqlite3
import urllib.parse

from .. import absent
from ..clear_errors import DamagedHistory
from .base import Checkpoint, CheckpointJob, RunInfo

TABLE = "ruffus_luigi_intermediates"


def _connect(path: str) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=60, isolation_level=None)
    con.execute(
        "CREATE TABLE IF NOT EXISTS %s (path TEXT PRIMARY KEY, state TEXT, size INTEGER, "
        "mtime_ns INTEGER, task TEXT)" % TABLE
    )
    return con


def freed_files(history_file: str) -> list[tuple[str, str, int, str]]:
    """``(path, "zeroed" | "removed", bytes freed, producing task)`` recorded in a history file.

    A file that is not a readable sqlite history is ``DamagedHistory``.
    """
    if not os.path.exists(history_file):
        return []
    try:
        con = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(history_file)), uri=True, timeout=5)
        try:
            exists = con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone()
            if not exists:
                return []
            return con.execute("SELECT path, state, size, task FROM %s ORDER BY path" % TABLE).fetchall()
        finally:
            con.close()
    except (sqlite3.DatabaseError, OSError) as e:
        raise DamagedHistory(history_file, e) from None


def status_report(history_file: str) -> str:
    """What ``ruffus-luigi status`` prints: each freed file, then the totals."""
    rows = freed_files(history_file)
    if not rows:
        return "No intermediate file is zeroed or removed (history: %s)\n" % history_file
    lines = ["%-7s %12s  %s  (made by %s)" % (state, _size(size), path, task) for path, state, size, task in rows]
    total = sum(size for _, _, size, _ in rows)
    counts = {state: sum(1 for r in rows if r[1] == state) for state in ("zeroed", "removed")}
    lines.append(
        "%d zeroed, %d removed: %s saved (history: %s)"
        % (counts["zeroed"], counts["removed"], _size(total), history_file)
    )
    return "\n".join(lines) + "\n"


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "bytes" else ("%.1f %s" % (n, unit))
        n /= 1024
    return str(n)


class FreeIntermediates(Checkpoint):
    """Zero (``remove=False``) or delete intermediate files whose consumers are done."""

    def __init__(self, remove: bool) -> None:
        self.remove = remove
        self.name = "remove-intermediates" if remove else "zero-intermediates"
        self.history_file = ""
        self.keep: list[str] = []
        self.freed: dict[str, tuple[str, int]] = {}  # absolute path -> (state, mtime_ns)
        self.restore: set[str] = set()  # freed files a job needs again in this run

    # -- planning ----------------------------------------------------------------
    def run_started(self, run: RunInfo) -> None:
        self.history_file = run.history_file
        self.keep = [os.path.join(run.workdir, k) if not os.path.isabs(k) else k for k in run.keep]
        con = _connect(self.history_file)
        try:
            rows = con.execute("SELECT path, state, mtime_ns FROM %s" % TABLE).fetchall()
        finally:
            con.close()
        self.freed = {}
        for path, state, mtime_ns in rows:
            if state == "zeroed" and not _still_zeroed(path, mtime_ns):
                continue  # rewritten since (by hand, or by a run without this strategy)
            if state == "removed" and os.path.lexists(path):
                continue
            self.freed[path] = (state, mtime_ns)
        self.restore = set()
        self._publish()
        if not self.freed:
            return
        while True:  # bring back what a job about to run reads, and what making it reads
            wanted = {
                p for job in run.pending_jobs() for f in job.inputs if (p := os.path.abspath(f)) in self.freed
            } - self.restore
            if not wanted:
                break
            self.restore |= wanted
            self._publish()

    def _publish(self) -> None:
        """Removed files not being brought back look present to planning (with their old time)."""
        absent.set_absent_files(
            {p: mtime_ns for p, (state, mtime_ns) in self.freed.items() if state == "removed" and p not in self.restore}
        )

    def job_complete(self, job: CheckpointJob) -> bool | None:
        if self.restore and any(os.path.abspath(f) in self.restore for f in job.outputs):
            return False
        return None

    # -- running -----------------------------------------------------------------
    def job_succeeded(self, job: CheckpointJob) -> None:
        """A remade file is a whole file again."""
        if not self.freed:
            return
        remade = [p for f in job.outputs if (p := os.path.abspath(f)) in self.freed]
        if remade:
            con = _connect(self.history_file)
            try:
                con.executemany("DELETE FROM %s WHERE path = ?" % TABLE, [(p,) for p in remade])
            finally:
                con.close()

    def files_consumed(self, files: list[str], producer: str) -> None:
        found = []
        for f in files:
            path = os.path.abspath(f)
            if any(fnmatch.fnmatch(path, k) for k in self.keep) or os.path.islink(path) or not os.path.isfile(path):
                continue  # protected files, links and directories stay as they are
            st = os.stat(path)
            if st.st_size or self.remove:
                found.append((path, st))
        if not found:
            return
        state = "removed" if self.remove else "zeroed"
        # Recorded first: a record whose file is still whole (killed in between) is ignored
        # by the next run, while a freed file without a record would be trusted as it is.
        con = _connect(self.history_file)
        try:
            con.executemany(
                "INSERT OR REPLACE INTO %s VALUES (?, ?, ?, ?, ?)" % TABLE,
                [(path, state, st.st_size, st.st_mtime_ns, producer) for path, st in found],
            )
            for path, st in found:
                if self.remove:
                    os.unlink(path)
                else:
                    with open(path, "r+b") as handle:
                        handle.truncate(0)
                    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        finally:
            con.close()


def _still_zeroed(path: str, mtime_ns: int) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == 0 and st.st_mtime_ns == mtime_ns
