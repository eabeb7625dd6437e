"""The plan cache: each task's jobs and up-to-date verdicts, kept between runs in the history database.

Making a task's jobs (formatter and regex substitution) and judging them (stat, history
records) is most of a run that has little to do. Both are pure functions of things that
can be checked cheaply, so the last run's answers are reused when those are unchanged:

- a task's job list depends on its declaration and on what its job source read: the
  outputs of other tasks and the files its globs matched. They are recorded while the
  jobs are made; next time the same reads giving the same answers mean the same jobs.
- a job found up to date stays so while none of its files changed: its input and output
  files' (mtime, size, inode) are kept with the verdict (with the checksum level and, from
  level 2, the function's checksum). Anything else goes through Ruffus' full rule.

A task about to run has its entry deleted first, so an interrupted run leaves no verdict
that its history records no longer back. Entries are kept with the history's count of
writes made by other programs (``JobHistory.foreign_writes``: real Ruffus run in the same
directory, the sqlite3 shell, a script); once it differs, none is used again. A history
replaced or restored from a backup carries its own count and entries, which agree. Tasks
whose declarations hold something that cannot be compared between runs (functions,
runtime parameters), custom up-to-date checks and checksum level 0 (no history file) are
not cached.
"""

from __future__ import annotations

import enum
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..files import absent
from ..files.filenames import flatten_strings
from ..model.indicators import _Indicator, runtime_parameter
from ..model.pipeline import Pipeline
from .checksums import function_checksum

if TYPE_CHECKING:
    from ..model.task import Task
    from .history_store import JobHistory
    from .planner import Planner

TABLE = "ruffus_luigi_plan"
FORMAT = 2  # (FORMAT, static, reads, jobs, notes, verdicts, foreign writes of the history)

Signature = tuple  # ((mtime_ns, size, inode), ...) of a job's input then output files


def signature(params: tuple, stats: dict[str, Any] | None = None) -> Signature | None:
    """The files of a job as they are now (None if one is missing)."""
    return _files(flatten_strings(params[0]) + flatten_strings(params[1]), stats)


def inputs_seen(params: tuple, stats: dict[str, Any]) -> Signature | None:
    """The inputs' part of the job's ``signature`` from ``stats`` only (None unless it has them all)."""
    return _files(flatten_strings(params[0]), stats, look=False)


def _files(files: list[str], stats: dict[str, Any] | None, look: bool = True) -> Signature | None:
    """(mtime_ns, size, inode) of each file as ``stats`` has it, else (``look``) as it is now."""
    found = []
    for f in files:
        if stats is not None and f in stats:
            st = stats[f]
        elif look:
            st = absent.stat(f)
        else:
            return None
        if st is None:
            return None
        found.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(found)


def still_up_to_date(kept: Signature, params: tuple, stats: dict[str, Any] | None = None) -> bool:
    """Whether a job found up to date with its files as ``kept`` still is.

    Its inputs must be as they were. An output may have been rewritten in place since
    (same inode, not older, any size): Ruffus dates an output by its history record
    unless the file is over 1.1 s older than that record, so a newer file never makes
    the output older (a touched output of a @split keeps its job up to date).
    ``stats``: files already stat'ed, and receives those stat'ed here, for a full check to reuse.
    """
    inputs = flatten_strings(params[0])
    files = inputs + flatten_strings(params[1])
    if len(files) != len(kept):
        return False
    n_inputs = len(inputs)
    for n, f in enumerate(files):
        if stats is not None and f in stats:
            st = stats[f]
        else:
            st = absent.stat(f)
            if stats is not None:
                stats[f] = st
        if st is None:
            return False
        mtime_ns, size, inode = kept[n]
        if n < n_inputs:
            if st.st_mtime_ns != mtime_ns or st.st_size != size or st.st_ino != inode:
                return False
        elif st.st_ino != inode or st.st_mtime_ns < mtime_ns:
            return False
    return True


def ran_signature(
    params: tuple, started: float, settled: float | None, inputs: Signature | None = None
) -> Signature | None:
    """The files of a job that just ran and was recorded, if Ruffus' rule must find it up to date.

    That is when its oldest output's time (``settled``, from its history record) is after
    the job started, and every input is older: inputs' records were written by jobs that
    finished before this one started, and their files are older than ``settled``.
    ``inputs``: the inputs' part as the job's up-to-date check saw them (``inputs_seen``),
    so that a @merge's thousands are not stat'ed again. They do not change while it runs;
    had one changed, it would not match the signature kept, and the next run would check
    the job in full.
    """
    if not started or settled is None or settled < started or len(params) < 2:
        return None
    if inputs is None:
        inputs = _files(flatten_strings(params[0]), None)
    outputs = _files(flatten_strings(params[1]), None)
    if inputs is None or outputs is None:
        return None
    if any(mtime_ns >= settled * 1e9 for mtime_ns, _, _ in inputs):
        return None
    return inputs + outputs


def _stable(value: Any) -> Any:
    """A value comparable between runs, or raise TypeError (then the task is not cached)."""
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_stable(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _stable(v)) for k, v in value.items())))
    if isinstance(value, runtime_parameter):
        raise TypeError("runtime parameters may change between runs")
    if isinstance(value, _Indicator):
        return (type(value).__name__, _stable(list(value.args)))
    task = getattr(value, "pipeline_task", value)  # a decorated function stands for its task
    if hasattr(task, "_name") and hasattr(task, "pipeline"):  # a Task
        return ("task", task.pipeline.name, task.name)
    if isinstance(value, enum.Enum):
        return ("enum", type(value).__name__, value.name)
    if hasattr(value, "pattern") and hasattr(value, "flags"):  # a compiled regex
        return ("re", value.pattern, value.flags)
    raise TypeError("not comparable between runs: %r" % type(value))


class PlanCache:
    """Job lists and verdicts from the last run, and what this run learns, for one planner."""

    def __init__(self, history: JobHistory, checksum_level: int) -> None:
        self.history = history
        self.con: sqlite3.Connection | None = history.con
        self.level = checksum_level
        # entries kept before another program wrote to the history are of no use: the
        # verdicts may rest on records it changed (or they on files the entry saw)
        self.foreign_writes = history.foreign_writes()
        self.stored, self.outdated = _load(history.con, self.foreign_writes)
        self.current: dict[Task, dict] = {}  # task -> {"static", "reads", "jobs", "notes", "verdicts"}
        self.recordings: list[list] = []  # reads of the job sources being run, innermost last
        self.dirty: set[Task] = set()
        self.tasks: dict[tuple[str, str], Task] = {}

    # -- keys --------------------------------------------------------------------
    def static_key(self, task: Task) -> bytes | None:
        """What a task's jobs depend on besides its reads, or None if it cannot be cached."""
        if task.needs_update_func is not None or not task.uses_modify_time:
            return None
        try:
            func = function_checksum(task.user_defined_work_func) if self.level >= 2 else ""
            parts = (
                os.getcwd(),
                self.level,
                task.kind,
                task.pipeline.name,
                task.name,
                func,
                _stable({k: v for k, v in task.parsed_args.items() if k != "named_extras"}),  # (call-time only)
                bool(task.indeterminate_output),
            )
            return pickle.dumps(parts, protocol=4)
        except Exception:  # noqa: BLE001 - a declaration we cannot compare: no cache
            return None

    @staticmethod
    def key(task: Task) -> str:
        return "%s::%s" % (task.pipeline.name, task.name)

    # -- job lists -----------------------------------------------------------------
    def jobs(self, task: Task, planner: Planner) -> Iterator[tuple] | None:
        """The cached jobs (iterator), or a recording generator, or None (not cached)."""
        static = self.static_key(task)
        if static is None:
            return None
        entry = self.current.get(task)
        if entry is None or entry["static"] != static:
            stored = self.stored.get(self.key(task))
            if stored is not None and stored[1] == static:
                entry = {"static": static, "reads": stored[2], "jobs": stored[3], "notes": stored[4],
                         "verdicts": dict(enumerate(stored[5]))}
        if entry is not None and self._reads_still_hold(entry["reads"], planner):
            self.current[task] = entry
            with self.paused():  # (they are this task's notes, not those of a task reading it)
                for kind, message in entry["notes"]:
                    (planner.warning if kind == "warning" else planner.match_failure)(task, message)
            return iter(entry["jobs"])
        return self._recording(task, static, planner)

    def _task(self, pipeline_name: str, name: str) -> Task | None:
        if not self.tasks:
            for pipeline in Pipeline.pipelines.values():
                for task in pipeline.tasks:
                    self.tasks[(pipeline.name, task.name)] = task
        return self.tasks.get((pipeline_name, name))

    def _reads_still_hold(self, reads: list, planner: Planner) -> bool:
        for kind, what, answer in reads:
            if kind == "glob":
                now = sorted(absent.glob(what))
            else:
                task = self._task(what[0], what[1])
                if task is None:
                    return False
                with self.paused():
                    now = planner.outputs(task, what[2])
            if now != answer:
                return False
        return True

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Reads made while checking a cached entry belong to no recording."""
        saved, self.recordings = self.recordings, []
        try:
            yield
        finally:
            self.recordings = saved

    def _recording(self, task: Task, static: bytes, planner: Planner) -> Iterator[tuple]:
        entry = {"static": static, "reads": [], "jobs": [], "notes": [], "verdicts": {}}
        self.current[task] = entry  # verdicts are remembered while the list grows
        recording = (entry["reads"], entry["notes"])
        self.recordings.append(recording)
        complete = False
        try:
            for job in task.job_source(planner):
                entry["jobs"].append(job)
                yield job
            complete = True
        finally:
            if recording in self.recordings:
                self.recordings.remove(recording)
            # only a complete list is kept (a caller may stop at the first out-of-date job)
            if complete:
                self.dirty.add(task)
            elif self.current.get(task) is entry:
                del self.current[task]

    def read(self, kind: str, what: Any, answer: Any) -> None:
        """A job source read the outputs of a task or a glob's matches."""
        if self.recordings:
            self.recordings[-1][0].append((kind, what, answer))

    def note(self, kind: str, message: str) -> None:
        """A job source gave a warning or a match failure (replayed with the cached jobs)."""
        if self.recordings:
            self.recordings[-1][1].append((kind, message))

    # -- verdicts --------------------------------------------------------------------
    def _index(self, task: Task, params: tuple) -> int | None:
        entry = self.current.get(task)
        if entry is None:
            return None
        index = entry.setdefault("index", {})
        jobs, done = entry["jobs"], entry.get("indexed", 0)
        if id(params) not in index and done < len(jobs):  # index the jobs made since
            index.update((id(jobs[i][0]), i) for i in range(done, len(jobs)))
            entry["indexed"] = len(jobs)
        return index.get(id(params))

    def known_up_to_date(self, task: Task, params: tuple, stats: dict[str, Any] | None = None) -> bool:
        """The job was found up to date and still is (``stats``: see ``still_up_to_date``)."""
        i = self._index(task, params)
        if i is None:
            return False
        kept = self.current[task]["verdicts"].get(i)
        return kept is not None and still_up_to_date(kept, params, stats)

    def holds(self, task: Task, i: int, params: tuple, stats: dict[str, Any] | None = None) -> bool:
        """``known_up_to_date`` for the job at ``i`` of the task's job list, walked in order.

        Planning walks the list, so the job's index is known: one check per job instead of
        the chain through ``Planner.job_needs_update``. A verdict found not to hold is
        dropped, so the full check that follows does not look at it again.
        """
        entry = self.current.get(task)
        kept = entry["verdicts"].get(i) if entry is not None else None
        if kept is None or entry["jobs"][i][0] is not params:
            return False
        if still_up_to_date(kept, params, stats):
            return True
        del entry["verdicts"][i]
        return False

    def known_stale(self, task: Task, params: tuple) -> bool:
        """Found out of date earlier in this run."""
        entry = self.current.get(task)
        return entry is not None and self._index(task, params) in entry.setdefault("stale", set())

    def mark_stale(self, task: Task, params: tuple) -> None:
        i = self._index(task, params)
        if i is not None:
            self.current[task].setdefault("stale", set()).add(i)

    def remember(self, task: Task, params: tuple, stats: dict[str, Any] | None = None) -> None:
        """This job was found up to date (``stats``: the files as the check saw them)."""
        sig = signature(params, stats) if self._index(task, params) is not None else None
        if sig is not None:
            self.remember_signature(task, params, sig)

    def remember_signature(self, task: Task, params: tuple, sig: Signature) -> None:
        """A job that ran is up to date with its files as ``sig`` (see ``ran_signature``)."""
        i = self._index(task, params)
        verdicts = self.current[task]["verdicts"] if i is not None else {}
        if i is not None and verdicts.get(i) != sig:
            verdicts[i] = sig
            self.dirty.add(task)

    def forget(self, task: Task, running: list[int]) -> None:
        """These jobs of the task are about to run: drop their verdicts, and the entry on disk."""
        entry = self.current.get(task)
        if entry is not None:
            for i in running:
                entry["verdicts"].pop(i, None)
        if self.stored.pop(self.key(task), None) is not None:
            key = self.key(task)
            self._write(lambda con: con.execute("DELETE FROM %s WHERE task = ?" % TABLE, (key,)))
        self.dirty.add(task)

    def save(self) -> None:
        """Keep what changed (one transaction), unless another program wrote to the history since
        the entries were read: what this run learnt may rest on records it changed."""
        rows = []
        for task in self.dirty:
            entry = self.current.get(task)
            if entry is None:
                continue
            verdicts = [entry["verdicts"].get(i) for i in range(len(entry["jobs"]))]
            try:
                blob = pickle.dumps(
                    (FORMAT, entry["static"], entry["reads"], entry["jobs"], entry["notes"], verdicts,
                     self.foreign_writes),
                    protocol=4,
                )
            except Exception:  # noqa: BLE001 - parameters that do not pickle: not cached
                continue
            rows.append((self.key(task), blob))
        self.dirty.clear()
        if rows or self.outdated:
            outdated, self.outdated = [(k,) for k in self.outdated], []

            def write(con: sqlite3.Connection) -> None:
                con.executemany("DELETE FROM %s WHERE task = ?" % TABLE, outdated)
                if self.history.foreign_writes() == self.foreign_writes:
                    con.executemany("INSERT OR REPLACE INTO %s VALUES (?, ?)" % TABLE, rows)

            self._write(write)

    def _write(self, write: Callable[[sqlite3.Connection], Any]) -> None:
        """``write(con)`` in one transaction; a cache that cannot be written is not used again
        (this run goes on without it)."""
        if self.con is None:
            return
        try:
            self.con.execute("BEGIN IMMEDIATE")
            try:
                write(self.con)
                self.con.execute("COMMIT")
            finally:  # (a full disk fails the write or the commit: the history's connection must not stay in it)
                if self.con.in_transaction:
                    self.con.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            self.con = None


_COLUMNS = [("task", "TEXT", 1), ("entry", "BLOB", 0)]


def _load(con: sqlite3.Connection, foreign_writes: int) -> tuple[dict[str, tuple], list[str]]:
    """The entries kept by the last run with the history's count of foreign writes, and the
    keys of the others (to delete); a damaged table is replaced by an empty one.

    It is a cache: garbage rows are misses, and a table of another shape (other columns,
    a view or an index of that name, unreadable pages) is dropped and made again. Only this
    table is touched: the job history next to it stays as it is.
    """
    try:
        kind = con.execute("SELECT type FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone()
        columns = [(name, kind_, pk) for _, name, kind_, _, _, pk in con.execute("PRAGMA table_info(%s)" % TABLE)]
        if kind is None or kind[0] != "table" or columns != _COLUMNS:
            _rebuild(con, kind[0] if kind is not None else None)
            return {}, []
        rows = con.execute("SELECT task, entry FROM %s" % TABLE).fetchall()
    except sqlite3.DatabaseError:
        try:
            _rebuild(con, "table")
        except sqlite3.DatabaseError:
            pass  # (cannot even be dropped: the history's own checks will say if the file is damaged)
        return {}, []
    stored, outdated = {}, []
    for key, blob in rows:
        try:
            entry = pickle.loads(blob)
        except Exception:  # noqa: BLE001 - an unreadable entry is a cache miss
            entry = None
        if (
            isinstance(key, str)
            and type(entry) is tuple
            and len(entry) == 7
            and entry[0] == FORMAT
            and isinstance(entry[1], bytes)
            and all(type(part) is list for part in entry[2:6])
            and len(entry[5]) == len(entry[3])
            and entry[6] == foreign_writes
        ):
            stored[key] = entry
        else:
            outdated.append(key)
    return stored, outdated


def _rebuild(con: sqlite3.Connection, kind: str | None) -> None:
    """Replace whatever has the table's name by the empty table, in one transaction."""
    con.execute("BEGIN IMMEDIATE")
    try:
        if kind in ("table", "view", "index", "trigger"):
            con.execute("DROP %s IF EXISTS %s" % (kind.upper(), TABLE))
        con.execute("CREATE TABLE %s (task TEXT PRIMARY KEY, entry BLOB)" % TABLE)
    finally:
        con.execute("COMMIT")
