"""One run per working directory: a lock the kernel releases when the run's last process ends.

Two runs in one directory would run the same jobs at once (and under ``atomic`` write the
same temporary files). So ``pipeline_run`` takes ``flock`` on ``.ruffus_luigi.lock`` in the
working directory before it looks at any file. The lock belongs to the open file, which the
run's worker processes inherit when they are forked: it stays taken while any of them still
runs, even after the driver was killed with SIGKILL, and no process can leave it behind (the
kernel drops it with the last descriptor). A run against a shared luigid takes it shared
(luigid keeps such runs from running a job twice); a run with the local scheduler takes it
exclusive.

A second run waits a little (``RUFFUS_LUIGI_LOCK_WAIT`` seconds, default 10: orphaned
workers of a killed run stop within a second or two), saying so on stderr, then refuses
with a message naming the processes that hold the lock. There is nothing to unlock by
hand. The file is opened without following a symbolic link and must be a regular file;
it is removed when a run ends with every one of its processes gone.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors.clear_errors import ClearError
from ..settings import config

LOCK_NAME = ".ruffus_luigi.lock"

_held: dict[str, int] = {}  # directory -> runs of this process (and its forks) inside the lock


class WorkdirLocked(RuntimeError):
    """Another run still uses this working directory (or its lock file is not one)."""


@contextmanager
def one_run_per_directory(shared: bool = False, directory: str | None = None) -> Iterator[None]:
    """Hold the working directory's lock for the block (re-entrant within a process tree)."""
    where = os.path.realpath(directory or os.getcwd())
    if _held.get(where):
        _held[where] += 1
        try:
            yield
        finally:
            _held[where] -= 1
        return
    fd = _acquire(os.path.join(where, LOCK_NAME), shared, config.lock_wait())
    _held[where] = 1
    try:
        yield
    finally:
        _held.pop(where, None)
        if fd is not None:
            _release(fd, os.path.join(where, LOCK_NAME))


def _open(path: str) -> int | None:
    """The lock file, never through a symbolic link; None where the directory cannot be written."""
    flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # (a FIFO put there must not block)
    try:
        fd = os.open(path, os.O_RDWR | flags, 0o644)
    except PermissionError:
        try:  # another user's lock file: reading is enough to lock it
            fd = os.open(path, os.O_RDONLY | flags & ~os.O_CREAT)
        except FileNotFoundError:
            return None  # a directory we may not write to: no run of ours can write there either
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise WorkdirLocked(
                "%s is a symbolic link: ruffus-luigi does not follow it (another user may have put it "
                "there to make a run write elsewhere); remove it and run again" % path
            ) from None
        if e.errno in (errno.EROFS, errno.EACCES):
            return None
        what = "free space (or inodes) on its file system" if e.errno in (errno.ENOSPC, errno.EDQUOT) else "fix that"
        raise ClearError(
            "cannot make the working directory's lock file %s (%s): nothing was run; %s and run again" % (path, e.strerror, what)
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise WorkdirLocked("%s is not a regular file; remove it and run again" % path)
    return fd


def _acquire(path: str, shared: bool, wait: float) -> int | None:
    deadline = time.monotonic() + wait
    told = False
    while True:
        fd = _open(path)
        if fd is None:
            return None
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holders = _describe_holders(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise WorkdirLocked(
                    "Another run is using the working directory %s: %s. Two runs here could run "
                    "the same jobs at once and damage their outputs, so this run stops before doing "
                    "anything. The lock (%s) goes away by itself when every process of the other run "
                    "has ended: wait for it, or stop it (kill the processes above). "
                    "RUFFUS_LUIGI_LOCK_WAIT=<seconds> makes a run wait longer."
                    % (os.path.dirname(path), holders, path)
                ) from None
            if not told:
                print(
                    "ruffus-luigi: another run is using this directory (%s); waiting up to %g s for it to end"
                    % (holders, wait),
                    file=sys.stderr,
                    flush=True,
                )
                told = True
            time.sleep(0.1)
            continue
        if _same_file(fd, path):
            if not shared:
                _write_owner(fd)
            return fd
        os.close(fd)  # its last holder removed it meanwhile: lock the file at the path now


def _same_file(fd: int, path: str) -> bool:
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _write_owner(fd: int) -> None:
    """Who holds the lock, for the message a second run shows (only into our own, unlinked-nowhere file)."""
    st = os.fstat(fd)
    if st.st_uid != os.geteuid() or st.st_nlink != 1:
        return  # (a hard link to someone's file: never write into it)
    text = "pid %d on %s, %s\n" % (os.getpid(), socket.gethostname(), " ".join(sys.argv)[:200])
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(errors="replace"), 0)
    except OSError:
        pass


def _release(fd: int, path: str) -> None:
    """Close; first remove the file if no other process holds it (none of ours is left)."""
    try:
        if not _children_alive():
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # (fails while another run shares it)
            if _same_file(fd, path):
                os.unlink(path)
    except OSError:
        pass
    finally:
        os.close(fd)


def _children_alive() -> bool:
    multiprocessing = sys.modules.get("multiprocessing")
    return multiprocessing is not None and bool(multiprocessing.active_children())


def _describe_holders(fd: int) -> str:
    """The processes that hold the lock file open (from /proc), and what its owner line says."""
    st = os.fstat(fd)
    try:
        owner = os.pread(fd, 300, 0).decode(errors="replace").strip()
    except OSError:
        owner = ""
    pids = []
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        entries = []
    for pid in entries:
        if int(pid) == os.getpid():
            continue
        try:
            for link in os.scandir("/proc/%s/fd" % pid):
                target = os.stat(link.path)
                if (target.st_dev, target.st_ino) == (st.st_dev, st.st_ino):
                    pids.append(pid)
                    break
        except OSError:
            continue
    parts = []
    if owner:
        parts.append("started by " + owner)
    if pids:
        parts.append("held by process%s %s" % ("es" if len(pids) > 1 else "", ", ".join(pids)))
    return "; ".join(parts) or "held by a process not visible here"
