"""The sqlite job history file, laid out and migrated exactly like Ruffus 3.0.0's.

Paths: callers pass file names as the user wrote them (relative to the cwd or
absolute). The history stores them relative to the history file's directory
(``get_history_file_path``), like Ruffus 3.0.0. The mapping protocol of
``JobHistory`` (``h[key]``, ``key in h``) works on those stored keys, as Ruffus'
``dbdict`` does; ``get``/``set``/``contains``/``delete`` take user paths.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors.clear_errors import DamagedHistory
from ..files.stored_names import storable
from .history_records import JobHistoryChecksum, dumps, loads
from .history_settings import get_default_history_file_name

PATH_FORMAT = "history_relative_v1"
MEMORY = ":memory:"
MISSING = object()  # what ``JobHistory.lookup`` returns for a key without a record
# rows of ruffus_metadata: our transactions' mark, and the count of writes made by other programs
_MARK = "ruffus_luigi_writing"
_COUNT = "ruffus_luigi_foreign_writes"
_SET_MARK = "UPDATE ruffus_metadata SET value = ? WHERE key = '%s'" % _MARK
_TRIGGERS = ("ruffus_luigi_foreign_insert", "ruffus_luigi_foreign_update", "ruffus_luigi_foreign_delete")

_LEGACY_WARNING = (
    "Ruffus history used working-directory-relative paths. Existing "
    "records were preserved in the ruffus_legacy_history table; "
    "tasks will be checkpointed again using paths relative to the "
    "history database directory."
)


_PLAIN = re.compile(r"(?:[^/.][^/]*|\.[^/.][^/]*)(?:/(?:[^/.][^/]*|\.[^/.][^/]*))*")


def _relative_key(path: str, cwd: str, base: str) -> str:
    """``os.path.relpath(path, base)``, without its cost for the usual plain names."""
    if path[:1] == "/":
        if path.startswith(base) and path[len(base) : len(base) + 1] == "/":
            rest = path[len(base) + 1 :]
            if _PLAIN.fullmatch(rest):
                return rest
    elif cwd == base and _PLAIN.fullmatch(path):
        return path
    return os.path.relpath(path, base)


class JobHistory:
    """The sqlite job history, laid out and migrated exactly like Ruffus 3.0.0's.

    ``path`` None (or ``":memory:"``) is an in-memory database whose keys are
    relative to the cwd at opening. Single writes commit at once (as Ruffus does);
    inside ``with history.batch():`` everything commits once, which is what makes
    recording thousands of jobs cheap.
    """

    def __init__(self, path: str | None = None, timeout: float = 60.0) -> None:
        self.filename = MEMORY if path in (None, MEMORY) else str(path)
        self.path_base = (
            os.getcwd()
            if self.filename == MEMORY
            else os.path.dirname(os.path.abspath(self.filename))
        )
        try:
            self.con = sqlite3.connect(
                self.filename, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as e:
            raise DamagedHistory(self.filename, e) from None
        self._lock = threading.RLock()
        self._depth = 0
        # relpath is slow: keys of file names, valid while the cwd is _keys_cwd
        self._keys: dict[str, str] = {}
        self._keys_cwd = ""
        # planning reads every record: after a few lookups, read the table once instead
        self._lookups = 0
        self._writes = 0
        self._snapshot: dict[str, bytes] | None = None
        self._snapshot_at: tuple[int, int] = (-1, -1)
        self._stale = True
        self._decoded: dict[str, tuple[bytes, Any]] = {}
        self._watching = False  # our transactions mark themselves (``_watch_foreign_writes``)
        try:
            had_history = self._prepare()
        except sqlite3.DatabaseError as e:
            self.con.close()
            raise DamagedHistory(self.filename, e) from None
        except BaseException:
            self.con.close()
            raise
        if had_history:
            warnings.warn(_LEGACY_WARNING, UserWarning, stacklevel=3)

    def _prepare(self) -> bool:
        """Create the tables; move a pre-3.0 (cwd-relative) history aside.

        Returns whether legacy rows were moved, which the caller warns about.
        """
        with self.batch():
            self.con.execute("CREATE TABLE IF NOT EXISTS data (key PRIMARY KEY,value)")
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS ruffus_metadata (key TEXT PRIMARY KEY, value TEXT)"
            )
            self._watch_foreign_writes()
            row = self.con.execute(
                "SELECT value FROM ruffus_metadata WHERE key = 'path_format'"
            ).fetchone()
            if row is not None:
                if row[0] != PATH_FORMAT:
                    raise ValueError(f"Unsupported Ruffus history path format: {row[0]}")
                return False
            had_history = len(self) > 0
            if had_history:
                legacy = self.con.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'ruffus_legacy_history'"
                ).fetchone()
                if legacy is None:
                    self.con.execute("CREATE TABLE ruffus_legacy_history AS SELECT * FROM data")
                else:
                    self.con.execute("INSERT INTO ruffus_legacy_history SELECT * FROM data")
                self.con.execute("DELETE FROM data")
            self.con.execute(
                "INSERT INTO ruffus_metadata VALUES ('path_format', ?)", (PATH_FORMAT,)
            )
            return had_history

    def _watch_foreign_writes(self) -> None:
        """Count the writes to the records that ruffus-luigi does not make (``foreign_writes``).

        Triggers stored in the database count every row of ``data`` written by any program
        (real Ruffus, the sqlite3 shell, a script) unless the writing transaction has set
        the ``writing`` mark, which only ours do, and reset before they commit: the plan
        cache trusts its verdicts only while the count is what it was when it kept them.
        Mark and count are rows of Ruffus' own ``ruffus_metadata`` (Ruffus reads only its
        ``path_format``), which any program writing the history keeps. A database whose
        triggers or rows were missing (new, made by Ruffus, Ruffus' ``clear`` dropping its
        table, a hand edit) or whose mark was left set starts a new count at a random
        value, so no verdict kept before matches it.
        """
        con = self.con
        present = con.execute(
            "SELECT count() FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'data'"
            " AND name IN (%s)" % ",".join("?" * len(_TRIGGERS)),
            _TRIGGERS,
        ).fetchone()[0]
        rows = dict(
            con.execute(
                "SELECT key, value FROM ruffus_metadata WHERE key IN (?, ?)", (_MARK, _COUNT)
            ).fetchall()
        )
        # (our transactions never commit the mark set: set, another program turned counting off)
        if present != len(_TRIGGERS) or rows.get(_MARK) != "0" or _COUNT not in rows:
            for name, op in zip(_TRIGGERS, ("INSERT", "UPDATE", "DELETE"), strict=True):
                con.execute(
                    "CREATE TRIGGER IF NOT EXISTS %s AFTER %s ON data WHEN"
                    " (SELECT value FROM ruffus_metadata WHERE key = '%s') IS NOT '1' BEGIN"
                    " UPDATE ruffus_metadata SET value = value + 1 WHERE key = '%s'; END"
                    % (name, op, _MARK, _COUNT)
                )
            con.executemany(
                "INSERT OR REPLACE INTO ruffus_metadata VALUES (?, ?)",
                [(_MARK, "0"), (_COUNT, str(int.from_bytes(os.urandom(6), "big")))],
            )
        con.execute(_SET_MARK, ("1",))
        self._watching = True

    def foreign_writes(self) -> int:
        """How many times other programs wrote a record (see ``_watch_foreign_writes``)."""
        with self._lock:
            row = self.con.execute(
                "SELECT value FROM ruffus_metadata WHERE key = ?", (_COUNT,)
            ).fetchone()
        return int(row[0])

    def check_writable(self) -> None:
        """``DamagedHistory`` now if no record could be written (a read-only file or directory).

        sqlite opens such a file read-only without a word: the first record of a finished
        job would fail, in a worker, after the job ran. A row written and rolled back finds
        out first (no commit: the file is left as it was).
        """
        if self.filename == MEMORY:
            return
        with self._lock:
            try:
                self.con.execute("BEGIN IMMEDIATE")
                try:
                    self.con.execute("INSERT OR REPLACE INTO ruffus_metadata VALUES ('ruffus_luigi_write_check', '')")
                finally:
                    self._rollback()
            except sqlite3.DatabaseError as e:
                raise DamagedHistory(self.filename, e) from None

    @contextmanager
    def batch(self) -> Iterator[JobHistory]:
        """One transaction (and one commit) for every write inside; nests.

        The transaction is marked as ours, so its writes are not counted as foreign.
        """
        with self._lock:
            if self._depth == 0:
                self.con.execute("BEGIN IMMEDIATE")
                if self._watching:
                    try:
                        self.con.execute(_SET_MARK, ("1",))
                    except sqlite3.DatabaseError:
                        self._rollback()
                        raise
            self._depth += 1
            committing = False
            try:
                yield self
                committing = True
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._end(committing)

    def _end(self, commit: bool) -> None:
        """Commit the outermost batch, or roll it back when a write in it failed.

        A full disk fails a write or the commit (SQLITE_FULL, SQLITE_IOERR) and sqlite may
        have rolled back already: the transaction is ended either way, so the connection is
        usable again and the caller sees the write's own error, never "no transaction is
        active". Nothing of a failed batch is kept.
        """
        try:
            if commit:
                if self._watching:
                    self.con.execute(_SET_MARK, ("0",))
                self.con.execute("COMMIT")
                return
        except sqlite3.DatabaseError:
            self._rollback()
            raise
        self._rollback()

    def _rollback(self) -> None:
        if self.con.in_transaction:
            try:
                self.con.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass  # (the error being raised says why)

    # pickling, as dbdict names it
    def pickle_loads(self, value: bytes) -> Any:
        """A stored value as an object (Ruffus records become ``JobHistoryChecksum``)."""
        return loads(value)

    def pickle_dumps(self, value: Any) -> bytes:
        """An object as a stored value (records readable by real Ruffus)."""
        return dumps(value)

    # -- user paths
    def key(self, path: str) -> str | bytes:
        """The stored key of a file name: relative to the history file's directory
        (bytes for a name that is not text, see ``_storable``)."""
        key = self._keys.get(path)
        if key is not None and (path[:1] == "/" or self._keys_cwd == os.getcwd()):
            return key
        cwd = os.getcwd()
        if cwd != self._keys_cwd or len(self._keys) > 1_000_000:
            self._keys = {}
            self._keys_cwd = cwd
        key = self._keys[path] = storable(_relative_key(path, cwd, self.path_base))
        return key

    def get(self, path: str) -> JobHistoryChecksum | None:
        """The record for a file, or None."""
        value = self.lookup(self.key(path))
        return None if value is MISSING else value

    def contains(self, path: str) -> bool:
        """Whether a file has a record (is checkpointed)."""
        return self.key(path) in self

    def set(self, path: str, record: JobHistoryChecksum) -> None:
        """Store the record for a file (committed at once unless inside ``batch``)."""
        self[self.key(path)] = record

    def set_many(self, items: Iterable[tuple[str, JobHistoryChecksum]]) -> None:
        """Store records for many files in one transaction."""
        rows = [(self.key(p), sqlite3.Binary(dumps(r))) for p, r in items]
        if rows:
            with self.batch():
                self.con.executemany("INSERT OR REPLACE INTO data (key, value) VALUES (?,?)", rows)
            self._writes += 1

    def put_many(self, rows: Iterable[tuple[str | bytes, Any]]) -> None:
        """Store values under many keys in one statement and transaction."""
        data = [(k, sqlite3.Binary(dumps(v))) for k, v in rows]
        if data:
            with self.batch():
                self.con.executemany("INSERT OR REPLACE INTO data (key, value) VALUES (?,?)", data)
            self._writes += 1

    def delete(self, paths: Iterable[str]) -> None:
        """Forget the records of files (missing ones are ignored); one transaction."""
        keys = [(self.key(p),) for p in paths]
        if keys:
            with self.batch():
                self.con.executemany("DELETE FROM data WHERE key=?", keys)
            self._writes += 1

    # -- stored keys (Ruffus' dbdict interface)
    def lookup(self, key: str) -> Any:
        """The value stored under a key, or a private sentinel: one query."""
        with self._lock:
            row = self.con.execute("SELECT value FROM data WHERE key=?", (key,)).fetchone()
        return MISSING if row is None else loads(row[0])

    def fetch_raw(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The still pickled values of many keys (those present), in few queries."""
        wanted = list(keys)
        self._lookups += 1
        if self._lookups > 50:
            table = self.snapshot()
            return {k: table[k] for k in wanted if k in table}
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT key, value FROM data WHERE key IN ({marks})"
                found.update(self.con.execute(sql, chunk).fetchall())
        return found

    def snapshot(self) -> dict[str, bytes]:
        """Every record, still pickled; re-read after our own writes, or after ``refresh()``
        when another connection (a worker process) wrote."""
        with self._lock:
            version = self._snapshot_at[0]
            if self._stale:
                version = self.con.execute("PRAGMA data_version").fetchone()[0]
                self._stale = False
            if self._snapshot is None or self._snapshot_at != (version, self._writes):
                self._snapshot = dict(self.con.execute("SELECT key, value FROM data").fetchall())
                self._snapshot_at = (version, self._writes)
            return self._snapshot

    def refresh(self) -> None:
        """Other processes may have written: the next snapshot checks."""
        self._stale = True

    def decode(self, key: str, raw: bytes) -> Any:
        """``loads(raw)``, reusing the object when the same record is read again."""
        seen = self._decoded.get(key)
        if seen is not None and seen[0] == raw:
            return seen[1]
        value = loads(raw)
        if len(self._decoded) > 1_000_000:
            self._decoded.clear()
        self._decoded[key] = (raw, value)
        return value

    def __getitem__(self, key: str) -> Any:
        value = self.lookup(key)
        if value is MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._writes += 1
        with self.batch():
            self.con.execute(
                "INSERT OR REPLACE INTO data (key, value) VALUES (?,?)",
                (key, sqlite3.Binary(dumps(value))),
            )

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._writes += 1
        with self.batch():
            self.con.execute("DELETE FROM data WHERE key=?", (key,))

    def __contains__(self, key: object) -> bool:
        with self._lock:
            row = self.con.execute("SELECT 1 FROM data WHERE key=?", (key,)).fetchone()
        return row is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __bool__(self) -> bool:
        """Always true: ``history or default`` must not count every record (``__len__``) to decide."""
        return True

    def __len__(self) -> int:
        with self._lock:
            return self.con.execute("SELECT count() FROM data").fetchone()[0]

    def keys(self) -> list[str]:
        """All stored keys."""
        with self._lock:
            return [r[0] for r in self.con.execute("SELECT key FROM data").fetchall()]

    def items(self) -> list[tuple[str, Any]]:
        """All (key, value) pairs."""
        with self._lock:
            rows = self.con.execute("SELECT key, value FROM data").fetchall()
        return [(k, loads(v)) for k, v in rows]

    def values(self) -> list[Any]:
        """All stored values."""
        return [v for _, v in self.items()]

    def pop(self, key: str, *default: Any) -> Any:
        """Remove a key and return its value (or ``default``), like ``dict.pop``."""
        value = self.lookup(key)
        if value is MISSING:
            if default:
                return default[0]
            raise KeyError(key)
        self._writes += 1
        with self.batch():
            self.con.execute("DELETE FROM data WHERE key=?", (key,))
        return value

    def clear(self) -> None:
        """Forget every record."""
        self._writes += 1
        with self.batch():
            self.con.execute("DELETE FROM data")

    def close(self) -> None:
        """Close the connection (everything is already committed)."""
        self.con.close()

    def __enter__(self) -> JobHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JobHistory({self.filename!r})"


def open_job_history(history_file: str | None) -> JobHistory:
    """Ruffus' ``open_job_history``: no name means the default history file."""
    if not history_file:
        history_file = get_default_history_file_name()
    return JobHistory(history_file)


def get_history_file_path(filename: str, job_history: Any) -> str:
    """The key of a file in ``job_history`` (plain mappings: relative to the cwd)."""
    return os.path.relpath(filename, getattr(job_history, "path_base", None))
