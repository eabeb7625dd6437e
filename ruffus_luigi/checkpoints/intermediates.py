"""``zero-intermediates`` and ``remove-intermediates``: free the space of files only Ruffus' bookkeeping needed.

An intermediate file is an output of one task named by jobs of others, that no job can
still need (``execution.strategies.Intermediates`` decides when), not protected (``keep``
patterns, a task's ``keep_outputs``) and with no other name (hard or symbolic link). It is
truncated to 0 bytes with its modification time kept (``zero``) or deleted (``remove``),
and the table ``ruffus_luigi_intermediates`` of the history database remembers its size
and time. Planning then sees a removed file as present with its old time, so the
pipeline stays up to date and nothing reruns.

A recorded file is a placeholder until its producer makes it again, whatever happens to
it meanwhile (touched, appended to, re-created by hand): when a job that names it must
run, its producer's job is made to run first (and so on upstream, for files of that job
that are freed too), before the run plans anything else; a job that would still get a
placeholder stops with an error naming the file.
"""

from __future__ import annotations

import fnmatch
import os
import sqlite3
import urllib.parse
from collections.abc import Iterable

from ..errors.clear_errors import DamagedHistory
from ..files import absent
from ..files.filenames import is_glob
from ..files.other_names import names_in, sole_name
from ..files.stored_names import storable, stored_name
from .base import Checkpoint, CheckpointJob, RunInfo

TABLE = "ruffus_luigi_intermediates"
PENDING = {"being zeroed": "zeroed", "being removed": "removed"}  # a record written just before freeing


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
            rows = con.execute("SELECT path, state, size, task FROM %s ORDER BY path" % TABLE).fetchall()
            return [(stored_name(path), *rest) for path, *rest in rows]
        finally:
            con.close()
    except (sqlite3.DatabaseError, OSError) as e:
        raise DamagedHistory(history_file, e) from None


def status_report(history_file: str, read_from: str | None = None) -> str:
    """What ``ruffus-luigi status`` prints: each freed file, then the totals.

    ``read_from``: a copy of ``history_file`` to read (``status.private_history``).
    """
    rows = freed_files(read_from or history_file)
    if not rows:
        return "No intermediate file is zeroed or removed (history: %s)\n" % history_file
    lines = ["%-7s %12s  %s  (made by %s)" % (state, size_text(size), path, task) for path, state, size, task in rows]
    total = sum(size for _, _, size, _ in rows)
    counts = {state: sum(1 for r in rows if r[1] == state) for state in ("zeroed", "removed")}
    lines.append(
        "%d zeroed, %d removed: %s saved (history: %s)"
        % (counts["zeroed"], counts["removed"], size_text(total), history_file)
    )
    return "\n".join(lines) + "\n"


def size_text(n: int) -> str:
    """A size for people: bytes, KiB, MiB or GiB."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "bytes" else ("%.1f %s" % (n, unit))
        n /= 1024
    return str(n)


class PlaceholderRead(RuntimeError):
    """A job was about to get a freed file that no job has made again."""


class KeepPatterns:
    """``keep`` patterns, normalised: ``./work/*``, ``work/../work/*``, ``/abs/work/``, ``*.bam``.

    A pattern protects a file it matches and everything under a directory it matches;
    a pattern without ``/`` also matches a file's name in any directory.
    """

    def __init__(self, workdir: str, patterns: Iterable[str]) -> None:
        self.paths: list[str] = []
        self.names: list[str] = []
        for pattern in patterns:
            pattern = os.path.expanduser(pattern.strip())
            if not pattern:
                continue
            if os.sep not in pattern.rstrip(os.sep):
                self.names.append(pattern.rstrip(os.sep))
            self.paths.append(os.path.normpath(os.path.join(workdir, pattern)))

    def protects(self, path: str) -> bool:
        for spelling in {os.path.abspath(path), os.path.realpath(path)}:
            if any(fnmatch.fnmatchcase(os.path.basename(spelling), n) for n in self.names):
                return True
            here = spelling
            while True:
                if any(fnmatch.fnmatchcase(here, p) for p in self.paths):
                    return True
                up = os.path.dirname(here)
                if up == here:
                    break
                here = up
        return False


class FreeIntermediates(Checkpoint):
    """Zero (``remove=False``) or delete intermediate files whose consumers are done."""

    def __init__(self, remove: bool) -> None:
        self.remove = remove
        self.name = "remove-intermediates" if remove else "zero-intermediates"
        self.history_file = ""
        self.keep = KeepPatterns("/", [])
        self.freed: dict[str, tuple[str, int]] = {}  # absolute path -> (state, mtime_ns)
        self.restore: set[str] = set()  # freed files a job needs again in this run
        self.placeholders: dict[str, tuple] = {}  # freed file -> (how it looked when the run started, producer)

    # -- planning ----------------------------------------------------------------
    def run_started(self, run: RunInfo) -> None:
        self.history_file = run.history_file
        self.keep = KeepPatterns(run.workdir, run.keep)
        con = _connect(self.history_file)
        try:
            rows = con.execute("SELECT path, state, size, mtime_ns, task FROM %s" % TABLE).fetchall()
        finally:
            con.close()
        self.freed = {}
        self.placeholders = {}
        for stored, state, size, mtime_ns, producer in rows:
            path = stored_name(stored)
            st = _stat(path)
            if state in PENDING:  # the run stopped while freeing it
                if st is not None and st.st_size == size and st.st_mtime_ns == mtime_ns:
                    continue  # not freed yet: whole
                state = PENDING[state]
            if state == "zeroed" and st is None:
                continue  # deleted since: missing, it is remade as Ruffus would
            self.freed[path] = (state, mtime_ns)
            self.placeholders[path] = (_signature(st), producer)
        self.restore = set()
        self._publish()
        if not self.freed:
            return
        while True:  # bring back what a job about to run names, and what making it names
            wanted = set()
            for job in run.pending_jobs():
                wanted |= _freed_names(job, self.freed)
            wanted -= self.restore
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
    def before_job(self, job: CheckpointJob) -> None:
        """A job never gets a placeholder: stop it, naming the file, if no job made it again."""
        if not self.freed:
            return
        named = _freed_names(job, self.freed)
        for path in sorted(named):
            signature, producer = self.placeholders[path]
            if _signature(_stat(path)) == signature:  # as it was: no job made it again
                raise PlaceholderRead(
                    "%s: task %r names %s, which this strategy %s (its content is gone) and no job of "
                    "task %r has made again in this run; run the pipeline with %s and that task among "
                    "the tasks to run, so it is made before it is read"
                    % (self.name, job.task, path, self.freed[path][0], producer, self.name)
                )

    def job_succeeded(self, job: CheckpointJob) -> None:
        """A remade file is a whole file again."""
        if not self.freed:
            return
        remade = [p for f in job.outputs if (p := os.path.abspath(f)) in self.freed]
        if remade:
            con = _connect(self.history_file)
            try:
                con.executemany("DELETE FROM %s WHERE path = ?" % TABLE, [(storable(p),) for p in remade])
            finally:
                con.close()

    def files_consumed(self, files: list[str], producer: str) -> None:
        """Free each file that, now, is a regular file with a single name and no ``keep`` pattern."""
        found: list[tuple[str, os.stat_result, int | None]] = []
        try:
            for f in files:
                path = os.path.abspath(f)
                if self.keep.protects(path):
                    continue
                opened = self._open(path)
                if opened is not None:
                    found.append(opened)
            if not found:
                return
            state = "removed" if self.remove else "zeroed"
            # Recorded first, as being freed: a file whose record says it is freed is never
            # trusted again (whatever happens to it) until its producer makes it again, while
            # one the run was stopped before freeing is still whole, as its record says.
            con = _connect(self.history_file)
            try:
                con.executemany(
                    "INSERT OR REPLACE INTO %s VALUES (?, ?, ?, ?, ?)" % TABLE,
                    [(storable(path), "being " + state, st.st_size, st.st_mtime_ns, producer) for path, st, _ in found],
                )
                done = self._free(found)
                con.executemany(
                    "UPDATE %s SET state = ? WHERE path = ?" % TABLE, [(state, storable(path)) for path in done]
                )
                con.executemany(
                    "DELETE FROM %s WHERE path = ?" % TABLE, [(storable(path),) for path, _, _ in found if path not in done]
                )
            finally:
                con.close()
        finally:
            for _, _, fd in found:
                if fd is not None:
                    os.close(fd)

    def _free(self, found: list[tuple[str, os.stat_result, int | None]]) -> set[str]:
        """Zero or delete the files found; the paths freed (a file that changed meanwhile stays)."""
        done = set()
        for path, st, fd in found:
            if fd is None:
                try:
                    now = os.lstat(path)
                except OSError:
                    continue
                if (now.st_ino, now.st_dev, now.st_mtime_ns) != (st.st_ino, st.st_dev, st.st_mtime_ns) or not sole_name(now):
                    continue
                os.unlink(path)
            else:
                os.ftruncate(fd, 0)
                os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
            done.add(path)
        return done

    def _open(self, path: str) -> tuple[str, os.stat_result, int | None] | None:
        """The file as it is now, if it may be freed: (path, stat, descriptor to truncate through)."""
        if self.remove:
            try:
                st = os.lstat(path)
            except OSError:
                return None
            return (path, st, None) if sole_name(st) else None
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return None  # a link, a directory, a missing or unwritable file
        st = os.fstat(fd)
        if sole_name(st) and st.st_size:
            return path, st, fd
        os.close(fd)
        return None


def _freed_names(job: CheckpointJob, freed: dict[str, tuple[str, int]]) -> set[str]:
    """The freed files a job names other than as its outputs (a file's producer does not read it)."""
    named = set()
    for name in names_in(job.params):
        path = os.path.abspath(name)
        if path in freed:
            named.add(path)
        elif is_glob(name):  # a pattern the job may expand itself (a glob among its extras)
            named.update(fnmatch.filter(freed, path))
    return named - {os.path.abspath(f) for f in job.outputs} if named else named


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _signature(st: os.stat_result | None) -> tuple | None:
    """What changes when a file is written or replaced."""
    return None if st is None else (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
