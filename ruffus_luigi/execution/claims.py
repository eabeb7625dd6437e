"""Claims on jobs between runs sharing a luigid, so that no job runs twice at once.

Two runs of one pipeline in one directory share their chunks through luigid only while
they give a chunk the same Luigi task id, and they need not: a run that plans a task
after the other ran some of its jobs cuts different chunks (its early-start chunks
depend on fewer upstream chunks). So a worker about to run a chunk's jobs claims them
first, rechecks them on disk, runs those still out of date, records them in the job
history and only then lets go: the other run, claiming the same jobs, waits until they
are recorded and finds them up to date. A recheck without the claim would miss a job the
other run is running right now (its outputs are not written, nor recorded, yet).

A claim is a POSIX record lock on one byte of one of the working directory's claims
files, both chosen by a hash of the job's task and outputs: the kernel drops it when the
process ends however it ends (kill -9 included), and nothing is written to the files. A
process claims one chunk's jobs at a time, in increasing (file, offset) order, so two
processes never wait for each other in a cycle. The kernel walks every lock held on a
file to place a new one, so a chunk of thousands of jobs claimed in one file took
quadratic time (5,000 locks: 0.15 s); spread over ``FILES`` files it is negligible.
The files are ``$TMPDIR/ruffus-luigi-<uid>/claims-<device>-<inode>-<n>`` (the working
directory's device and inode, so a path through a symbolic link finds the same ones), in
a directory only this user can write; the working directory itself gets nothing new.
They are never removed: removing a lock file while another run opens it would let the
two lock different files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator

from ..files.filenames import flatten_strings

FILES = 64
PROBE = 1 << 56
"""An offset no job's claim uses (they are below 2**56): only ever locked shared, to try locks."""


class ClaimError(RuntimeError):
    """The claims files cannot be opened or locked (so runs sharing luigid could run a job twice)."""


class Claims:
    """The claims files of one working directory; each process opens those it needs once."""

    def __init__(self, workdir: str) -> None:
        self.base = ""
        self.fds: dict[int, int] = {}
        try:
            where = os.stat(workdir)
            self.base = os.path.join(_private_dir(), "claims-%x-%x" % (where.st_dev, where.st_ino))
            fd = self._fd(0)
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, PROBE)  # (locks work on this file system)
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, PROBE)
        except OSError as e:
            raise ClaimError(
                "ruffus-luigi: cannot claim jobs in %s (which keeps runs sharing a luigid from running "
                "a job twice): %s" % ((self.base + "-*") if self.base else workdir, e)
            ) from None

    def _fd(self, n: int) -> int:
        fd = self.fds.get(n)
        if fd is None:
            fd = os.open("%s-%d" % (self.base, n), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            self.fds[n] = fd
        return fd

    @contextlib.contextmanager
    def hold(self, keys: Iterable[str]) -> Iterator[None]:
        """Claim the jobs named by ``keys`` (waiting for any other process holding one)."""
        places = sorted({_place(k) for k in keys})
        try:
            for n, offset in places:
                fcntl.lockf(self._fd(n), fcntl.LOCK_EX, 1, offset)
            yield
        finally:
            for n in {n for n, _ in places}:
                if n in self.fds:
                    fcntl.lockf(self.fds[n], fcntl.LOCK_UN, 0, 0)

    def held(self, keys: Iterable[str]) -> bool:
        """Does another process claim any of these jobs now? (Asked where this process holds none.)

        Each place is tried with a shared lock, which only a claim (exclusive) refuses and
        which two processes asking at once both get, then let go at once.
        """
        for n, offset in sorted({_place(k) for k in keys}):
            fd = self._fd(n)
            try:
                fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, offset)
            except (BlockingIOError, PermissionError):  # (EAGAIN or EACCES: held)
                return True
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
        return False

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}


def job_key(task_name: str, index: int, params: tuple) -> str:
    """What names a job in both runs: its task and its outputs (its index when it has none)."""
    outputs = [f for f in flatten_strings(params[1:2]) if isinstance(f, str)] if len(params) >= 2 else []
    return "%s\0%s" % (task_name, "\0".join(outputs) if outputs else "#%d" % index)


def _private_dir() -> str:
    """``$TMPDIR/ruffus-luigi-<uid>``, made if missing; refused unless only this user can write it."""
    path = os.path.join(tempfile.gettempdir(), "ruffus-luigi-%d" % os.getuid())
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    found = os.lstat(path)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o022:
        raise PermissionError("%s is not a directory of this user's that only this user can write" % path)
    return path


def _place(key: str) -> tuple[int, int]:
    """The claims file and the offset in it of a job's claim."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return digest[0] % FILES, int.from_bytes(digest[1:], "big")
