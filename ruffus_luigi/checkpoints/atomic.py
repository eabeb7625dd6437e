"""``atomic``: a job writes its outputs under temporary names, renamed into place on success.

The temporary name of ``dir/sample.bam`` is ``dir/.ruffus_luigi.tmp/<key>.<random>/sample.bam``:
the same file system (so the rename is atomic), the same basename and extension (so
tools that look at either still work), and hidden from Ruffus' globs. A job killed
half-way leaves only that hidden directory; the final path never holds a half-written file.
When the output exists already, its temporary file starts as a copy of it (a reflink where
the file system can), so a job that appends to or reads its output sees what Ruffus shows it.

The temporary paths are made so that nobody else can choose where a job writes (the
output's directory may be a shared ``/tmp``-like one): ``.ruffus_luigi.tmp`` must be a real
directory of this user that no one else may write to, the key directory gets a random name
made with ``mkdir`` (which fails if the name exists), everything below the output's
directory is opened relative to directory descriptors without following links, and
anything foreign in the way (another user's directory, a link, a file) stops the job
before it runs with an ``UnsafeTemporaryPath`` naming the task, the output and the path.

Leftovers go at the start of the next run when they are provably stale: each key
directory of a job run in this process has an owner file beside it (``<key>.<random>.owner``:
host, boot, pid namespace, pid and start time of the process), and the ``.ruffus_luigi.tmp``
directories a pipeline used are listed in its history file (table ``ruffus_luigi_atomic``),
so a run finds them without planning. A key directory goes only if its owner process is
known here and has ended; one of a process still running (another run, against the same
luigid) or of another host stays, and so does one of a job a back end ran elsewhere (a
cluster job may outlive the process that submitted it; its file is ``<key>.<random>.submitter``):
those are cleared when their job runs again, unless their process still runs. Only this
user's own directories and regular files are read or removed, never through a link.

It cannot apply to what a job writes without being told the name (a path computed
from the input, an undeclared side file): those are written in place as usual. It is
also skipped, and the output written in place as Ruffus does, for glob patterns among
the outputs (``@split`` to ``*.part``), outputs that are inputs too, outputs that exist
and are not regular files (a symbolic link, written through to where it points; a
directory, which the job adds to; a FIFO or device), and outputs whose directory does not
exist yet (the job may be the one to create it).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from typing import Any

from ..files.filenames import is_glob
from ..files.stored_names import storable
from .atomic_leftovers import TABLE, connect_table, remove_stale
from .atomic_paths import (
    DIR_FLAGS,
    OWN_DIR_FLAGS,
    TMP_DIR,
    ForeignPath,
    close_fds,
    copy_output,
    forget_owner,
    key_dir_name,
    lstat_at,
    make_key_dir,
    mine,
    open_tmp_dir,
    remove_key_dir,
    remove_tmp_dir_if_empty,
    stale,
)
from .base import Checkpoint, CheckpointJob, RunInfo


class UnsafeTemporaryPath(Exception):
    """Something that is not this user's own stands where ``atomic`` would write a job's output.

    Also: the output could not be renamed into place (a file-system error: the message names
    the task, the output, the error and where the job's file is kept, and the job's error
    shows it without a traceback).
    """


def _key(path: str) -> str:
    """The part of a key directory's name that stays the same for one output, run after run."""
    return hashlib.md5(os.fsencode(os.path.abspath(path))).hexdigest()[:12]  # names need not be text


def _replace(value: Any, names: dict[str, str]) -> Any:
    """``value`` with the strings in ``names`` replaced, keeping its nesting and types."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, names) for v in value)
    return value


# -- one output of one job -----------------------------------------------------------------
@dataclass
class _Temporary:
    """Where one output is written: its directory, its name there, and the key directory used."""

    output: str  # as the job declared it
    directory: str  # the output's directory, as the job names it ("" for the working directory)
    opened: str  # the same, absolute: what the hooks after the job open (the job may change directory)
    base: str  # the output's name in it
    key_dir: str  # the key directory's name in .ruffus_luigi.tmp
    tmp_id: tuple[int, int]  # (device, inode) of .ruffus_luigi.tmp and of the key directory,
    key_id: tuple[int, int]  # checked again before anything is moved out or removed
    copied: tuple[int, int] | None  # the existing output copied in, or None

    def key_path(self) -> str:
        return os.path.join(self.opened, TMP_DIR, self.key_dir)

    def path(self, trailing_slash: bool) -> str:
        return os.path.join(self.directory, TMP_DIR, self.key_dir, self.base) + ("/" if trailing_slash else "")


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _open_checked(name: str, dir_fd: int, expected: tuple[int, int]) -> int:
    """Directory ``name`` in ``dir_fd``, if it is still the one made before the job (else -1)."""
    try:
        fd = os.open(name, OWN_DIR_FLAGS, dir_fd=dir_fd)
    except OSError:
        return -1
    if _identity(os.fstat(fd)) != expected:
        os.close(fd)
        return -1
    return fd


class Atomic(Checkpoint):
    """Outputs appear at their final path only once their job has succeeded."""

    name = "atomic"

    def __init__(self) -> None:
        self.history_file = ""
        self.listed: tuple[int, set[str]] = (0, set())  # (pid, directories it listed in the history)
        self.active: set[str] = set()  # key directories of this process's jobs not yet finished

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
            con = connect_table(self.history_file)
            try:
                con.execute("INSERT OR IGNORE INTO %s VALUES (?)" % TABLE, (storable(tmp_dir),))
            finally:
                con.close()
            listed.add(tmp_dir)

    def before_job(self, job: CheckpointJob) -> None:
        inputs = set(job.inputs)
        names: dict[str, str] = {}
        made: dict[str, _Temporary] = {}  # by absolute path: two spellings of one output share it
        holders = _holding_directories(job.outputs) if len(job.outputs) > 1 else set()
        try:
            for out in job.outputs:
                if out in names or is_glob(out) or out in inputs:
                    continue
                absolute = os.path.abspath(out)
                if absolute in holders:
                    continue  # a directory holding another output: the job writes into it by its own name
                temporary = made.get(absolute)
                if temporary is None:
                    try:
                        temporary = self._prepare(out, job.in_process)
                    except ForeignPath as err:
                        raise UnsafeTemporaryPath(
                            "task %r, output %r: %r %s; checkpoint 'atomic' writes only where no other user can "
                            "(remove it, or run this task without 'atomic')"
                            % (job.task, out, os.path.join(os.path.dirname(out.rstrip("/")), err.path), err.reason)
                        ) from None
                    if temporary is None:
                        continue
                    made[absolute] = temporary
                names[out] = temporary.path(out.endswith("/"))
        except BaseException:
            for temporary in made.values():
                self._discard(temporary)
            raise
        if names and len(job.params) >= 2:
            job.state["atomic"] = (made, job.params)
            job.params = (job.params[0], _replace(job.params[1], names), *job.params[2:])
        else:
            for temporary in made.values():
                self._discard(temporary)

    def _prepare(self, out: str, in_process: bool) -> _Temporary | None:
        """The key directory of output ``out``, with a copy of the output if it exists; None: write in place."""
        stripped = out.rstrip("/")
        directory, base = os.path.split(stripped)
        if base in ("", ".", ".."):
            return None
        try:
            dir_fd = os.open(directory or ".", DIR_FLAGS)
        except OSError:
            return None  # no such directory yet: the job may be the one to make it
        key_fd = tmp_fd = -1
        try:
            found = lstat_at(base, dir_fd)
            if found and not mine(found) and os.fstat(dir_fd).st_mode & stat.S_ISVTX:
                # put there by someone else in a shared directory: neither written through nor replaced
                raise ForeignPath(base, "belongs to another user (uid %d), in a sticky directory" % found.st_uid)
            if found and (not stat.S_ISREG(found.st_mode) or stripped != out):
                return None  # a link, a directory, a FIFO ("name/" naming a file): in place, as under Ruffus
            key = _key(stripped)
            for attempt in range(10):
                try:
                    tmp_fd = open_tmp_dir(dir_fd, create=True)
                except OSError as err:
                    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                        return None  # no writing here: the job meets Ruffus' own error, or writes where it may
                    raise
                try:
                    if tmp_fd >= 0:
                        key_dir, key_fd = self._key_dir(tmp_fd, directory, key, in_process)
                        break
                except FileNotFoundError:
                    if attempt == 9:
                        raise
                except OSError:  # (a full disk: the .ruffus_luigi.tmp just made is not left behind)
                    remove_tmp_dir_if_empty(dir_fd, tmp_fd)
                    raise
                # (another job's clean-up took the empty .ruffus_luigi.tmp meanwhile)
                close_fds(tmp_fd)
                tmp_fd = -1
            else:
                raise FileNotFoundError(errno.ENOENT, "removed each time it was made", TMP_DIR)
            temporary = _Temporary(out, directory, os.path.abspath(directory or "."), base, key_dir, _identity(os.fstat(tmp_fd)),
                                   _identity(os.fstat(key_fd)), None)
            if found:
                try:
                    copy_output(dir_fd, base, found, key_fd)
                except BaseException as err:
                    self._discard(temporary)
                    if isinstance(err, PermissionError):
                        return None  # an output this user may write but not read: in place, as under Ruffus
                    raise
                temporary.copied = _identity(found)
            return temporary
        finally:
            close_fds(key_fd, tmp_fd, dir_fd)

    def _key_dir(self, tmp_fd: int, directory: str, key: str, in_process: bool) -> tuple[str, int]:
        """A new key directory for the output of key ``key``, after removing what a killed job left.

        Not removed: those of jobs still running here (another task with the same output)
        or in a process named by its owner or submitter file that still runs.
        """
        tmp_dir = os.path.join(os.path.abspath(directory or "."), TMP_DIR)
        self._list(tmp_dir)
        for name in {key_dir_name(entry) for entry in os.listdir(tmp_fd)}:  # a killed job's: this job redoes it
            if (
                (name == key or name.startswith(key + "."))
                and os.path.join(tmp_dir, name) not in self.active
                and stale(tmp_fd, name)
            ):
                remove_key_dir(tmp_fd, name)
        # a job run elsewhere (a cluster job) may outlive this process: it is not the owner
        name, fd = make_key_dir(tmp_fd, key, in_process)
        self.active.add(os.path.join(tmp_dir, name))
        return name, fd

    def job_succeeded(self, job: CheckpointJob) -> None:
        made, job.params = job.state.pop("atomic", ({}, job.params))
        for temporary in made.values():
            self.active.discard(temporary.key_path())
            _put_in_place(job.task, temporary)

    def _discard(self, temporary: _Temporary) -> None:
        self.active.discard(temporary.key_path())
        _discard(temporary)

    def job_failed(self, job: CheckpointJob) -> None:
        made, job.params = job.state.pop("atomic", ({}, job.params))
        for temporary in made.values():
            self._discard(temporary)


def _holding_directories(outputs: list[str]) -> set[str]:
    """The directories above the outputs (absolute): an output among them is written in place."""
    found: set[str] = set()
    for out in outputs:
        path = os.path.dirname(os.path.abspath(out))
        while path not in found and path != os.path.dirname(path):
            found.add(path)
            path = os.path.dirname(path)
    return found


def _put_in_place(task: str, temporary: _Temporary) -> None:
    """The job's output moved to its final name, then its key directory removed.

    If it cannot be moved, it stays where the job wrote it, and loses its owner file so that
    no run start takes it for stale: the job running again replaces it.
    """
    dir_fd = os.open(temporary.opened, DIR_FLAGS)
    tmp_fd = key_fd = -1
    try:
        tmp_fd = _open_checked(TMP_DIR, dir_fd, temporary.tmp_id)
        key_fd = _open_checked(temporary.key_dir, tmp_fd, temporary.key_id) if tmp_fd >= 0 else -1
        if key_fd < 0:
            raise UnsafeTemporaryPath(
                "task %r, output %r: its temporary directory %s was removed or replaced while the job ran"
                % (task, temporary.output, os.path.join(temporary.directory, TMP_DIR, temporary.key_dir))
            )
        written = lstat_at(temporary.base, key_fd)
        try:
            if written is not None:
                os.rename(temporary.base, temporary.base, src_dir_fd=key_fd, dst_dir_fd=dir_fd)
            elif temporary.copied is not None:  # the job removed its output, which existed before
                final = lstat_at(temporary.base, dir_fd)
                if final and _identity(final) == temporary.copied:
                    os.unlink(temporary.base, dir_fd=dir_fd)
        except OSError as err:
            forget_owner(tmp_fd, temporary.key_dir)
            failed = UnsafeTemporaryPath(
                "task %r, output %r: cannot be put in place (%s); what the job wrote is kept in %s"
                % (task, temporary.output, err.strerror, temporary.path(False))
            )
            failed.ruffus_luigi_no_traceback = True  # type: ignore[attr-defined]
            raise failed from None
        remove_key_dir(tmp_fd, temporary.key_dir)
        remove_tmp_dir_if_empty(dir_fd, tmp_fd)
    finally:
        close_fds(key_fd, tmp_fd, dir_fd)


def _discard(temporary: _Temporary) -> None:
    """The key directory of a job that failed (or never started), if it is still the one made for it."""
    try:
        dir_fd = os.open(temporary.opened, DIR_FLAGS)
    except OSError:
        return
    tmp_fd = -1
    try:
        tmp_fd = _open_checked(TMP_DIR, dir_fd, temporary.tmp_id)
        if tmp_fd >= 0:
            found = lstat_at(temporary.key_dir, tmp_fd)
            if found is None or _identity(found) == temporary.key_id:
                remove_key_dir(tmp_fd, temporary.key_dir)
            remove_tmp_dir_if_empty(dir_fd, tmp_fd)
    finally:
        close_fds(tmp_fd, dir_fd)
