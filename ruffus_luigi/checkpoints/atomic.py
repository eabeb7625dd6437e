"""``atomic``: a job writes its outputs under temporary names, renamed into place on success.

The temporary name of ``dir/sample.bam`` is ``dir/.ruffus_luigi.tmp/<key>/sample.bam``:
the same file system (so the rename is atomic), the same basename and extension (so
tools that look at either still work), and hidden from Ruffus' globs. A job killed
half-way leaves only that hidden directory; the final path never holds a half-written file.

Leftovers go at the start of the next run when they are provably stale: each key
directory of a job run in this process has an owner file beside it (``<key>.owner``:
host, boot, pid namespace, pid and start time of the process), and the ``.ruffus_luigi.tmp``
directories a pipeline used are listed in its history file (table ``ruffus_luigi_atomic``),
so a run finds them without planning. A key directory goes only if its owner process is
known here and has ended; one of a process still running (another run, against the same
luigid) or of another host stays, and so does one of a job a back end ran elsewhere (a
cluster job may outlive the process that submitted it): those are cleared when their job
runs again.

It cannot apply to what a job writes without being told the name (a path computed
from the input, an undeclared side file): those are written in place as usual. It is
also skipped for glob patterns among the outputs (``@split`` to ``*.part``), for
outputs that are inputs too or symbolic links (the job writes through the link), and
where the output's directory does not exist yet (the job may be the one to create it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
from typing import Any

from ..filenames import is_glob
from .base import Checkpoint, CheckpointJob, RunInfo

TMP_DIR = ".ruffus_luigi.tmp"
OWNER = ".owner"  # suffix of the file naming the process a key directory belongs to
TABLE = "ruffus_luigi_atomic"


def temporary_path(path: str) -> str:
    """Where a job writes ``path`` under this strategy."""
    key = hashlib.md5(os.path.abspath(path).encode()).hexdigest()[:12]
    return os.path.join(os.path.dirname(path), TMP_DIR, key, os.path.basename(path))


def _replace(value: Any, names: dict[str, str]) -> Any:
    """``value`` with the strings in ``names`` replaced, keeping its nesting and types."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, names) for v in value)
    return value


def _remove_key_dir(key_dir: str) -> None:
    """The key directory, then its owner file, then ``.ruffus_luigi.tmp`` once empty."""
    shutil.rmtree(key_dir, ignore_errors=True)
    for path, remove in ((key_dir + OWNER, os.unlink), (os.path.dirname(key_dir), os.rmdir)):
        try:
            remove(path)
        except OSError:
            pass


def _make_key_dir(key_dir: str, owner: str) -> None:
    """``key_dir``, after its owner file if ``owner`` is known (none exists without it)."""
    for attempt in range(10):
        try:
            os.makedirs(os.path.dirname(key_dir), exist_ok=True)
            if owner:
                with open(key_dir + OWNER, "w") as f:
                    f.write(owner + "\n")
            os.mkdir(key_dir)
            return
        except FileNotFoundError:  # another job's clean-up took the empty .ruffus_luigi.tmp meanwhile
            if attempt == 9:
                raise


# -- who owns a key directory ------------------------------------------------------------
def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), "" if there is none (Linux)."""
    stat = _read("/proc/%d/stat" % pid)
    fields = stat.rpartition(")")[2].split()  # the command name, before it, may hold spaces
    return fields[19] if len(fields) > 19 else ""


def _machine() -> list[str]:
    """Host, boot and pid namespace: where a pid names the same process as here."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return [socket.gethostname(), _read("/proc/sys/kernel/random/boot_id"), namespace]


def this_process() -> str:
    """What an owner file holds: this process, as ``owner_ended`` can check it later."""
    pid = os.getpid()
    return " ".join([*_machine(), str(pid), _start_time(pid)])


def owner_ended(owner: str) -> bool:
    """Whether the process an owner file names is provably gone: of this machine, not running.

    Anything else (another host, a reboot, another pid namespace, an unreadable file, no
    ``/proc``) counts as possibly running: its files stay.
    """
    fields = owner.split()
    machine = _machine()
    if len(fields) != 5 or fields[:3] != machine or not all(machine) or not fields[4].isdigit():
        return False
    return _start_time(int(fields[3])) != fields[4]  # a reused pid started later


# -- the .ruffus_luigi.tmp directories a pipeline used ----------------------------------
def _connect(history_file: str) -> sqlite3.Connection:
    con = sqlite3.connect(history_file, timeout=60, isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS %s (directory TEXT PRIMARY KEY)" % TABLE)
    return con


def remove_stale(history_file: str) -> list[str]:
    """Remove the key directories whose owner has ended, in the directories the history lists.

    Empty ``.ruffus_luigi.tmp`` directories go too, and so do the rows of directories gone.
    Returns the key directories removed.
    """
    if not os.path.exists(history_file):
        return []
    con = _connect(history_file)
    try:
        removed: list[str] = []
        for (tmp_dir,) in con.execute("SELECT directory FROM %s" % TABLE).fetchall():
            try:
                names = os.listdir(tmp_dir)
            except OSError:
                names = None
            for name in names or ():
                if name.endswith(OWNER) and owner_ended(_read(os.path.join(tmp_dir, name))):
                    key_dir = os.path.join(tmp_dir, name[: -len(OWNER)])
                    _remove_key_dir(key_dir)
                    removed.append(key_dir)
            if names == []:
                try:
                    os.rmdir(tmp_dir)
                except OSError:
                    pass
            if not os.path.isdir(tmp_dir):
                con.execute("DELETE FROM %s WHERE directory = ?" % TABLE, (tmp_dir,))
        return removed
    finally:
        con.close()


class Atomic(Checkpoint):
    """Outputs appear at their final path only once their job has succeeded."""

    name = "atomic"

    def __init__(self) -> None:
        self.history_file = ""
        self.listed: tuple[int, set[str]] = (0, set())  # (pid, directories it listed in the history)

    def run_started(self, run: RunInfo) -> None:
        self.history_file = run.history_file
        self.listed = (0, set())
        if not run.dry_run:
            remove_stale(self.history_file)

    def _list(self, tmp_dir: str) -> None:
        """Name ``tmp_dir`` in the history (once per process), so a later run finds it."""
        if not self.history_file:
            return  # (hooks called without a run start: nothing can be cleaned later)
        pid, listed = self.listed
        if pid != os.getpid():
            self.listed = (os.getpid(), set())  # a forked worker: its parent's writes are not its own
            listed = self.listed[1]
        if tmp_dir not in listed:
            con = _connect(self.history_file)
            try:
                con.execute("INSERT OR IGNORE INTO %s VALUES (?)" % TABLE, (tmp_dir,))
            finally:
                con.close()
            listed.add(tmp_dir)

    def before_job(self, job: CheckpointJob) -> None:
        inputs = set(job.inputs)
        names = {}
        for out in job.outputs:
            if (
                is_glob(out)
                or out in inputs
                or os.path.islink(out)  # written through the link, to where it points
                or not os.path.isdir(os.path.dirname(out) or ".")
            ):
                continue
            temporary = temporary_path(out)
            key_dir = os.path.dirname(temporary)
            _remove_key_dir(key_dir)  # left by a run that was killed: this run is about to redo it
            self._list(os.path.abspath(os.path.dirname(key_dir)))
            # a job run elsewhere (a cluster job) may outlive this process: no owner to check
            _make_key_dir(key_dir, this_process() if job.in_process else "")
            names[out] = temporary
        if names and len(job.params) >= 2:
            job.state["atomic"] = (names, job.params)
            job.params = (job.params[0], _replace(job.params[1], names), *job.params[2:])

    def job_succeeded(self, job: CheckpointJob) -> None:
        names, job.params = job.state.pop("atomic", ({}, job.params))
        for final, temporary in names.items():
            if os.path.lexists(temporary):
                os.replace(temporary, final)
            _remove_key_dir(os.path.dirname(temporary))

    def job_failed(self, job: CheckpointJob) -> None:
        names, job.params = job.state.pop("atomic", ({}, job.params))
        for temporary in names.values():
            _remove_key_dir(os.path.dirname(temporary))
