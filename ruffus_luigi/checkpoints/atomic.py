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
import fcntl
import hashlib
import os
import secrets
import shutil
import socket
import sqlite3
import stat
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from ..files.filenames import is_glob
from ..files.stored_names import storable, stored_name
from .base import Checkpoint, CheckpointJob, RunInfo

TMP_DIR = ".ruffus_luigi.tmp"
OWNER = ".owner"  # suffix of the file naming the process a key directory belongs to
SUBMITTER = ".submitter"  # instead, for a job a back end runs elsewhere: the process that submitted it
TABLE = "ruffus_luigi_atomic"

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_OWN_DIR = _DIR | os.O_NOFOLLOW | os.O_NONBLOCK  # a directory of ours: never through a link, never a FIFO
_FICLONE = 0x40049409  # Linux ioctl: the destination shares the source's blocks (btrfs, xfs, ...)


class UnsafeTemporaryPath(Exception):
    """Something that is not this user's own stands where ``atomic`` would write a job's output.

    Also: the output could not be renamed into place (a file-system error: the message names
    the task, the output, the error and where the job's file is kept, and the job's error
    shows it without a traceback).
    """


class _Foreign(Exception):
    """What is wrong with a path (``path``, ``reason``), before the task and output are known."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path, self.reason = path, reason


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


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            os.close(fd)


def _lstat(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _mine(st: os.stat_result) -> bool:
    return st.st_uid == os.geteuid()


# -- the temporary directory and its key directories ------------------------------------
def _open_tmp_dir(dir_fd: int, create: bool) -> int:
    """``.ruffus_luigi.tmp`` in ``dir_fd``, made if ``create``: a descriptor, or -1 if there is none.

    Raises ``_Foreign`` if the name is taken by anything but a directory of this user;
    one of ours that others may write to is made private.
    """
    if create:
        try:
            os.mkdir(TMP_DIR, 0o700, dir_fd=dir_fd)
        except FileExistsError:
            pass
    try:
        fd = os.open(TMP_DIR, _OWN_DIR, dir_fd=dir_fd)
    except FileNotFoundError:
        return -1
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            found = _lstat(TMP_DIR, dir_fd)
            what = "a symbolic link" if found and stat.S_ISLNK(found.st_mode) else "not a directory"
            raise _Foreign(TMP_DIR, "is %s" % what) from None
        raise
    st = os.fstat(fd)
    if not _mine(st):
        os.close(fd)
        raise _Foreign(TMP_DIR, "belongs to another user (uid %d)" % st.st_uid)
    if st.st_mode & 0o077:
        os.fchmod(fd, 0o700)  # nobody else may add, rename or remove entries in it
    return fd


def _remove_key_dir(tmp_fd: int, name: str) -> None:
    """Key directory ``name`` and its owner (or submitter) file, if they are this user's and no links."""
    found = _lstat(name, tmp_fd)
    if found and stat.S_ISDIR(found.st_mode) and _mine(found):
        shutil.rmtree(name, ignore_errors=True, dir_fd=tmp_fd)  # descriptor-based: never follows a link
    _forget_owner(tmp_fd, name)


def _forget_owner(tmp_fd: int, name: str) -> None:
    """The owner and submitter files of key directory ``name``, if they are regular files of this user."""
    for suffix in (OWNER, SUBMITTER):
        found = _lstat(name + suffix, tmp_fd)
        if found and stat.S_ISREG(found.st_mode) and _mine(found):
            try:
                os.unlink(name + suffix, dir_fd=tmp_fd)
            except FileNotFoundError:
                pass


def _remove_tmp_dir_if_empty(dir_fd: int, tmp_fd: int) -> None:
    """``.ruffus_luigi.tmp`` once empty, if the name still stands for the directory ``tmp_fd`` is."""
    mine, found = os.fstat(tmp_fd), _lstat(TMP_DIR, dir_fd)
    if found and (found.st_dev, found.st_ino) == (mine.st_dev, mine.st_ino):
        try:
            os.rmdir(TMP_DIR, dir_fd=dir_fd)
        except OSError:
            pass  # not empty: another job writes in it


def _read_owner(tmp_fd: int, name: str) -> str:
    """An owner file's text, if it is a regular file of this user (a link or anything else reads as "")."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=tmp_fd)
    except OSError:
        return ""
    try:
        st = os.fstat(fd)
        return os.read(fd, 4096).decode(errors="replace").strip() if stat.S_ISREG(st.st_mode) and _mine(st) else ""
    finally:
        os.close(fd)


def _stale(tmp_fd: int, name: str) -> bool:
    """Whether key directory ``name`` may go when its job runs again: its owner or submitter has ended (or is unknown)."""
    for suffix in (OWNER, SUBMITTER):
        if _lstat(name + suffix, tmp_fd) is not None:
            return owner_ended(_read_owner(tmp_fd, name + suffix))
    return True


def _key_dir_name(name: str) -> str:
    """The key directory an entry of ``.ruffus_luigi.tmp`` belongs to."""
    for suffix in (OWNER, SUBMITTER):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _make_key_dir(tmp_fd: int, key: str, in_process: bool) -> tuple[str, int]:
    """A new key directory ``<key>.<random>``, after its owner (or submitter) file: name and descriptor."""
    for _ in range(100):
        name = "%s.%s" % (key, secrets.token_hex(6))
        try:
            fd = os.open(name + (OWNER if in_process else SUBMITTER),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=tmp_fd)
            try:
                os.write(fd, (this_process() + "\n").encode())
            finally:
                os.close(fd)
            os.mkdir(name, 0o700, dir_fd=tmp_fd)
        except FileExistsError:
            continue
        except OSError:  # (a full disk: no empty owner file is left to name nobody)
            with suppress(OSError):
                os.unlink(name + (OWNER if in_process else SUBMITTER), dir_fd=tmp_fd)
            raise
        return name, os.open(name, _OWN_DIR, dir_fd=tmp_fd)
    raise FileExistsError(errno.EEXIST, "no free key directory name", key)


def _copy(dir_fd: int, base: str, found: os.stat_result, key_fd: int) -> None:
    """The existing output ``base`` (``found``) copied into the key directory: data, mode and times."""
    src = os.open(base, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        st = os.fstat(src)
        if (st.st_dev, st.st_ino) != (found.st_dev, found.st_ino):
            raise _Foreign(base, "was replaced while the job was being prepared")
        mode = stat.S_IMODE(st.st_mode)
        dst = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode | 0o200,
                      dir_fd=key_fd)
        try:
            try:
                fcntl.ioctl(dst, _FICLONE, src)
            except OSError:
                _copy_data(src, dst)
            os.fchmod(dst, mode)
            os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _copy_data(src: int, dst: int) -> None:
    """In the kernel: copy_file_range (which may share blocks), else sendfile."""
    try:
        while os.copy_file_range(src, dst, 1 << 30):
            pass
        return
    except OSError as err:
        if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
    os.lseek(src, 0, os.SEEK_SET)
    os.ftruncate(dst, 0)
    os.lseek(dst, 0, os.SEEK_SET)
    while os.sendfile(dst, src, None, 1 << 30):
        pass


# -- who owns a key directory ------------------------------------------------------------
def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), "" if there is none (Linux)."""
    stat_line = _read("/proc/%d/stat" % pid)
    fields = stat_line.rpartition(")")[2].split()  # the command name, before it, may hold spaces
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
    if len(fields) != 5 or fields[:3] != machine or not all(machine) or not fields[3].isdigit() \
            or not fields[4].isdigit():
        return False
    return _start_time(int(fields[3])) != fields[4]  # a reused pid started later


# -- the .ruffus_luigi.tmp directories a pipeline used ----------------------------------
def _connect(history_file: str) -> sqlite3.Connection:
    con = sqlite3.connect(history_file, timeout=60, isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS %s (directory TEXT PRIMARY KEY)" % TABLE)
    return con


def _remove_stale_in(tmp_dir: str) -> tuple[list[str], bool]:
    """The stale key directories of one listed ``.ruffus_luigi.tmp`` removed; and whether it is gone.

    A directory listed in the history is trusted no further than its own files: it must be
    named ``.ruffus_luigi.tmp`` and be this user's; anything else is left alone.
    """
    if os.path.basename(tmp_dir) != TMP_DIR:
        return [], True  # not a row this module writes
    try:
        dir_fd = os.open(os.path.dirname(tmp_dir), _DIR)
    except OSError:
        return [], not os.path.isdir(os.path.dirname(tmp_dir))
    try:
        try:
            tmp_fd = _open_tmp_dir(dir_fd, create=False)
        except (_Foreign, OSError):
            return [], False  # someone else's, or unreadable: not ours to clean
        if tmp_fd < 0:
            return [], True
        removed = []
        try:
            for name in os.listdir(tmp_fd):
                if name.endswith(OWNER) and owner_ended(_read_owner(tmp_fd, name)):
                    key_dir = name[: -len(OWNER)]
                    _remove_key_dir(tmp_fd, key_dir)
                    removed.append(os.path.join(tmp_dir, key_dir))
            _remove_tmp_dir_if_empty(dir_fd, tmp_fd)
        finally:
            os.close(tmp_fd)
        return removed, _lstat(TMP_DIR, dir_fd) is None
    finally:
        os.close(dir_fd)


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
        for (stored,) in con.execute("SELECT directory FROM %s" % TABLE).fetchall():
            gone, tmp_dir_gone = _remove_stale_in(stored_name(stored))
            removed.extend(gone)
            if tmp_dir_gone:
                con.execute("DELETE FROM %s WHERE directory = ?" % TABLE, (stored,))
        return removed
    finally:
        con.close()


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
        fd = os.open(name, _OWN_DIR, dir_fd=dir_fd)
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
            con = _connect(self.history_file)
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
                    except _Foreign as err:
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
            dir_fd = os.open(directory or ".", _DIR)
        except OSError:
            return None  # no such directory yet: the job may be the one to make it
        key_fd = tmp_fd = -1
        try:
            found = _lstat(base, dir_fd)
            if found and not _mine(found) and os.fstat(dir_fd).st_mode & stat.S_ISVTX:
                # put there by someone else in a shared directory: neither written through nor replaced
                raise _Foreign(base, "belongs to another user (uid %d), in a sticky directory" % found.st_uid)
            if found and (not stat.S_ISREG(found.st_mode) or stripped != out):
                return None  # a link, a directory, a FIFO ("name/" naming a file): in place, as under Ruffus
            key = _key(stripped)
            for attempt in range(10):
                try:
                    tmp_fd = _open_tmp_dir(dir_fd, create=True)
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
                    _remove_tmp_dir_if_empty(dir_fd, tmp_fd)
                    raise
                # (another job's clean-up took the empty .ruffus_luigi.tmp meanwhile)
                _close(tmp_fd)
                tmp_fd = -1
            else:
                raise FileNotFoundError(errno.ENOENT, "removed each time it was made", TMP_DIR)
            temporary = _Temporary(out, directory, os.path.abspath(directory or "."), base, key_dir, _identity(os.fstat(tmp_fd)),
                                   _identity(os.fstat(key_fd)), None)
            if found:
                try:
                    _copy(dir_fd, base, found, key_fd)
                except BaseException as err:
                    self._discard(temporary)
                    if isinstance(err, PermissionError):
                        return None  # an output this user may write but not read: in place, as under Ruffus
                    raise
                temporary.copied = _identity(found)
            return temporary
        finally:
            _close(key_fd, tmp_fd, dir_fd)

    def _key_dir(self, tmp_fd: int, directory: str, key: str, in_process: bool) -> tuple[str, int]:
        """A new key directory for the output of key ``key``, after removing what a killed job left.

        Not removed: those of jobs still running here (another task with the same output)
        or in a process named by its owner or submitter file that still runs.
        """
        tmp_dir = os.path.join(os.path.abspath(directory or "."), TMP_DIR)
        self._list(tmp_dir)
        for name in {_key_dir_name(entry) for entry in os.listdir(tmp_fd)}:  # a killed job's: this job redoes it
            if (
                (name == key or name.startswith(key + "."))
                and os.path.join(tmp_dir, name) not in self.active
                and _stale(tmp_fd, name)
            ):
                _remove_key_dir(tmp_fd, name)
        # a job run elsewhere (a cluster job) may outlive this process: it is not the owner
        name, fd = _make_key_dir(tmp_fd, key, in_process)
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
    dir_fd = os.open(temporary.opened, _DIR)
    tmp_fd = key_fd = -1
    try:
        tmp_fd = _open_checked(TMP_DIR, dir_fd, temporary.tmp_id)
        key_fd = _open_checked(temporary.key_dir, tmp_fd, temporary.key_id) if tmp_fd >= 0 else -1
        if key_fd < 0:
            raise UnsafeTemporaryPath(
                "task %r, output %r: its temporary directory %s was removed or replaced while the job ran"
                % (task, temporary.output, os.path.join(temporary.directory, TMP_DIR, temporary.key_dir))
            )
        written = _lstat(temporary.base, key_fd)
        try:
            if written is not None:
                os.rename(temporary.base, temporary.base, src_dir_fd=key_fd, dst_dir_fd=dir_fd)
            elif temporary.copied is not None:  # the job removed its output, which existed before
                final = _lstat(temporary.base, dir_fd)
                if final and _identity(final) == temporary.copied:
                    os.unlink(temporary.base, dir_fd=dir_fd)
        except OSError as err:
            _forget_owner(tmp_fd, temporary.key_dir)
            failed = UnsafeTemporaryPath(
                "task %r, output %r: cannot be put in place (%s); what the job wrote is kept in %s"
                % (task, temporary.output, err.strerror, temporary.path(False))
            )
            failed.ruffus_luigi_no_traceback = True  # type: ignore[attr-defined]
            raise failed from None
        _remove_key_dir(tmp_fd, temporary.key_dir)
        _remove_tmp_dir_if_empty(dir_fd, tmp_fd)
    finally:
        _close(key_fd, tmp_fd, dir_fd)


def _discard(temporary: _Temporary) -> None:
    """The key directory of a job that failed (or never started), if it is still the one made for it."""
    try:
        dir_fd = os.open(temporary.opened, _DIR)
    except OSError:
        return
    tmp_fd = -1
    try:
        tmp_fd = _open_checked(TMP_DIR, dir_fd, temporary.tmp_id)
        if tmp_fd >= 0:
            found = _lstat(temporary.key_dir, tmp_fd)
            if found is None or _identity(found) == temporary.key_id:
                _remove_key_dir(tmp_fd, temporary.key_dir)
            _remove_tmp_dir_if_empty(dir_fd, tmp_fd)
    finally:
        _close(tmp_fd, dir_fd)
