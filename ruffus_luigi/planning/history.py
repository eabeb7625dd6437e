"""Ruffus 3.0.0's job history: the sqlite file, its records and the per-job up-to-date rule.

The file format, the stored checksums and the decision (with its printout text)
all match Ruffus 3.0.0, so a working directory can be run alternately by real
Ruffus and by ruffus-luigi without either rerunning the other's jobs. Real
Ruffus is never imported: its record class is read and written by name.

Paths: callers pass file names as the user wrote them (relative to the cwd or
absolute). The history stores them relative to the history file's directory
(``get_history_file_path``), like Ruffus 3.0.0. The mapping protocol of
``JobHistory`` (``h[key]``, ``key in h``) works on those stored keys, as Ruffus'
``dbdict`` does; ``get``/``set``/``contains``/``delete`` take user paths.
"""

from __future__ import annotations

import glob
import io
import os
import pickle
import re
import sqlite3
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from time import gmtime, strftime
from typing import Any

from ..errors.clear_errors import DamagedHistory
from ..errors.exceptions import error_checksum_level
from ..files import absent
from ..files.filenames import (
    epoch_seconds_to_str,
    flatten_strings,
    path_decomposition,
    shorten_filenames_encoder,
)
from ..files.stored_names import storable, stored_name
from .checksums import EMPTY_CHECKSUM, function_checksum, params_checksum

__all__ = [
    "CHECKSUM_FILE_TIMESTAMPS",
    "CHECKSUM_FUNCTIONS",
    "CHECKSUM_FUNCTIONS_AND_PARAMS",
    "CHECKSUM_HISTORY_TIMESTAMPS",
    "CHECKSUM_REGENERATE",
    "RUFFUS_HISTORY_FILE",
    "JobHistory",
    "JobHistoryChecksum",
    "completion_mtime",
    "forget_job",
    "get_default_checksum_level",
    "get_default_history_file_name",
    "get_history_file_path",
    "job_needs_update",
    "job_output_files",
    "needs_update_check_modify_time",
    "open_job_history",
    "params_need_update",
    "record_job",
    "record_jobs",
]

CHECKSUM_FILE_TIMESTAMPS = 0  # rerun when file timestamps are out of date (classic make)
CHECKSUM_HISTORY_TIMESTAMPS = 1  # ... or the history has no / a newer completion record
CHECKSUM_FUNCTIONS = 2  # ... or the task function changed
CHECKSUM_FUNCTIONS_AND_PARAMS = 3  # ... or the job's extra parameters changed
CHECKSUM_REGENERATE = 2  # touch_files_only value: rebuild the history from the files

_LEVEL_NAMES = {
    "CHECKSUM_FILE_TIMESTAMPS": CHECKSUM_FILE_TIMESTAMPS,
    "CHECKSUM_HISTORY_TIMESTAMPS": CHECKSUM_HISTORY_TIMESTAMPS,
    "CHECKSUM_FUNCTIONS": CHECKSUM_FUNCTIONS,
    "CHECKSUM_FUNCTIONS_AND_PARAMS": CHECKSUM_FUNCTIONS_AND_PARAMS,
}

# Like Ruffus, the environment variable is read once, at import.
RUFFUS_HISTORY_FILE = os.environ.get("DEFAULT_RUFFUS_HISTORY_FILE", ".ruffus_history.sqlite")

PATH_FORMAT = "history_relative_v1"
MEMORY = ":memory:"
# rows of ruffus_metadata: our transactions' mark, and the count of writes made by other programs
_MARK = "ruffus_luigi_writing"
_COUNT = "ruffus_luigi_foreign_writes"
_SET_MARK = "UPDATE ruffus_metadata SET value = ? WHERE key = '%s'" % _MARK
_TRIGGERS = ("ruffus_luigi_foreign_insert", "ruffus_luigi_foreign_update", "ruffus_luigi_foreign_delete")

# Ruffus' own location of the record class: what its pickles name and expect.
_RUFFUS_MODULE = "ruffus.ruffus_utility"
_RECORD_NAME = "JobHistoryChecksum"
_LEGACY_WARNING = (
    "Ruffus history used working-directory-relative paths. Existing "
    "records were preserved in the ruffus_legacy_history table; "
    "tasks will be checkpointed again using paths relative to the "
    "history database directory."
)
_MISSING = object()


# -- defaults from the environment ---------------------------------------------------
def get_default_checksum_level() -> int:
    """DEFAULT_RUFFUS_CHECKSUM_LEVEL (0-3 or a CHECKSUM_* name), else level 1.

    Ruffus 3.0.0 means to accept the names but in fact rejects them; we accept them.
    """
    value = os.environ.get("DEFAULT_RUFFUS_CHECKSUM_LEVEL")
    if value is None:
        return CHECKSUM_HISTORY_TIMESTAMPS
    if len(value) == 1 and value in "0123":
        return int(value)
    if value in _LEVEL_NAMES:
        return _LEVEL_NAMES[value]
    raise error_checksum_level(
        "The environmental value "
        "DEFAULT_RUFFUS_CHECKSUM_LEVEL should be: [0-3 | "
        "CHECKSUM_FILE_TIMESTAMPS | "
        "CHECKSUM_HISTORY_TIMESTAMPS | "
        "CHECKSUM_FUNCTIONS | "
        f"CHECKSUM_FUNCTIONS_AND_PARAMS] (rather than '{value}') "
    )


def get_default_history_file_name() -> str:
    """RUFFUS_HISTORY_FILE with ``{basename}``, ``{path}``, ``{ext}``... of the main script.

    Placeholders let one directory hold a history per script; if the main module
    has no file or the template does not format, it is used as written.
    """
    history_file = RUFFUS_HISTORY_FILE
    try:
        main_file = sys.modules["__main__"].__file__
        parts = path_decomposition(os.path.abspath(main_file))  # type: ignore[arg-type]
        history_file = history_file.format(**parts)
    except Exception:
        pass
    return history_file


# -- the record --------------------------------------------------------------------
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


class JobHistoryChecksum:
    """How and when one output file was made (Ruffus' ``JobHistoryChecksum``).

    ``params`` are the job's extra parameters (``params[2:]``, a tuple) and ``task``
    is a task with ``user_defined_work_func`` or the function itself. The pickled
    form names ``ruffus.ruffus_utility.JobHistoryChecksum`` so real Ruffus trusts it.
    """

    outfile: str | None
    mtime: float | None
    chksum_params: str
    chksum_func: str

    def __init__(self, outfile: str | None, mtime: float | None, params: Any, task: Any) -> None:
        self.outfile = outfile
        self.mtime = mtime
        self.chksum_params = params_checksum(params)
        func = getattr(task, "user_defined_work_func", task)
        self.chksum_func = EMPTY_CHECKSUM if func is None else function_checksum(func)

    @classmethod
    def from_checksums(
        cls, outfile: str | None, mtime: float | None, chksum_params: str, chksum_func: str
    ) -> JobHistoryChecksum:
        """A record from already computed checksums (one per output of a job)."""
        rec = cls.__new__(cls)
        rec.outfile = outfile
        rec.mtime = mtime
        rec.chksum_params = chksum_params
        rec.chksum_func = chksum_func
        return rec

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JobHistoryChecksum):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"JobHistoryChecksum(outfile={self.outfile!r}, mtime={self.mtime!r}, "
            f"chksum_params={self.chksum_params!r}, chksum_func={self.chksum_func!r})"
        )

    def __str__(self) -> str:
        return strftime("%d %b %Y %H:%M:%S", gmtime(self.mtime))


class _Unpickler(pickle.Unpickler):
    """Reads Ruffus' records (and ours) into our class without importing Ruffus."""

    def find_class(self, module: str, name: str) -> Any:
        if name == _RECORD_NAME and (
            module == _RUFFUS_MODULE or module.startswith("ruffus.") or module == __name__
        ):
            return JobHistoryChecksum
        return super().find_class(module, name)


# protocol 2: PROTO 2, GLOBAL "ruffus.ruffus_utility JobHistoryChecksum", EMPTY_TUPLE, NEWOBJ
_RECORD_HEADER = b"\x80\x02c" + f"{_RUFFUS_MODULE}\n{_RECORD_NAME}\n".encode() + b")\x81"


def loads(data: bytes) -> Any:
    """Unpickle a history value; Ruffus' record class becomes ours."""
    data = bytes(data)
    if data.startswith(_RECORD_HEADER) and data.endswith(b"b."):
        # what ``dumps`` writes: the state dict needs no class lookup (much faster)
        state = pickle.loads(b"\x80\x02" + data[len(_RECORD_HEADER) : -2] + b".")
        if type(state) is dict and state.keys() == _RECORD_FIELDS:
            return JobHistoryChecksum.from_checksums(**state)
    return _Unpickler(io.BytesIO(data)).load()


_RECORD_FIELDS = {"outfile", "mtime", "chksum_params", "chksum_func"}


def dumps(value: Any) -> bytes:
    """Pickle a history value; records are written under Ruffus' class name.

    The pickle is assembled by hand (header, then the state dict, then BUILD)
    because the pickle module would import ``ruffus`` to check the name.
    """
    if type(value) is JobHistoryChecksum:
        state = {
            "outfile": value.outfile,
            "mtime": value.mtime,
            "chksum_params": value.chksum_params,
            "chksum_func": value.chksum_func,
        }
        body = pickle.dumps(state, protocol=2)  # PROTO 2 ... STOP
        return _RECORD_HEADER + body[2:-1] + b"b."
    return pickle.dumps(value, protocol=-1)


# -- the database ------------------------------------------------------------------
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
        return None if value is _MISSING else value

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
        return _MISSING if row is None else loads(row[0])

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
        if value is _MISSING:
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
        if value is _MISSING:
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
        """The record of a file, or _MISSING."""
        history = self.history
        if not isinstance(history, JobHistory):
            key = get_history_file_path(path, history)
            return history[key] if key in history else _MISSING
        key = self.keys.get(path) or history.key(path)
        if key not in self.values:
            raw = self.raw.get(key)
            self.values[key] = _MISSING if raw is None else history.decode(key, raw)
        return self.values[key]




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
            if records.get(p) is _MISSING and p not in incomplete:
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
            if rec is not _MISSING:
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
