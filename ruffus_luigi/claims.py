"""Claims on jobs between runs sharing a luigid, so that no job runs twice at once.

Two runs of one pipeline in one directory share their chunks through luigid only while
they give a chunk the same Luigi task id, and they need not: a run that plans a task
after the other ran some of its jobs cuts different chunks (its early-start chunks
depend on fewer upstream chunks). So a worker about to run a chunk's jobs claims them
first, rechecks them on disk, runs those still out of date, records them in the job
history and only then lets go: the other run, claiming the same jobs, waits until they
are recorded and finds them up to date. A recheck without the claim would miss a job the
other run is running right now (its outputs are not written, nor recorded, yet).

A claim is a POSIX record lock on one byte of the working directory's claims file, at an
offset hashed from the job's task and outputs: the kernel drops it when the process ends
however it ends (kill -9 included), and nothing is written to the file. A process claims
one chunk's jobs at a time, in increasing offsets, so two processes never wait for each
other in a cycle. The file is ``$TMPDIR/ruffus-luigi-<uid>/claims-<device>-<inode>``
(the working directory's device and inode, so a path through a symbolic link finds the
same one), in a directory only this user can write; the working directory itself gets
nothing new. It is never removed: removing a lock file while another run opens it would
let the two lock different files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator

from .filenames import flatten_strings

PROBE = 1 << 56
"""An offset no job's claim uses (they are below 2**56): only ever locked shared, to try locks."""


class ClaimError(RuntimeError):
    """The claims file cannot be opened or locked (so runs sharing luigid could run a job twice)."""


class Claims:
    """The claims file of one working directory, opened once per run (forked workers inherit it)."""

    def __init__(self, workdir: str) -> None:
        self.path = ""
        try:
            where = os.stat(workdir)
            self.path = os.path.join(_private_dir(), "claims-%x-%x" % (where.st_dev, where.st_ino))
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            fcntl.lockf(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, PROBE)  # (locks work on this file system)
            fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, PROBE)
        except OSError as e:
            raise ClaimError(
                "ruffus-luigi: cannot claim jobs in %s (which keeps runs sharing a luigid from running "
                "a job twice): %s" % (self.path or workdir, e)
            ) from None

    @contextlib.contextmanager
    def hold(self, keys: Iterable[str]) -> Iterator[None]:
        """Claim the jobs named by ``keys`` (waiting for any other process holding one)."""
        offsets = sorted({_offset(k) for k in keys})
        try:
            for offset in offsets:
                fcntl.lockf(self.fd, fcntl.LOCK_EX, 1, offset)
            yield
        finally:
            if offsets:
                fcntl.lockf(self.fd, fcntl.LOCK_UN, 0, 0)

    def close(self) -> None:
        os.close(self.fd)


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


def _offset(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=7).digest(), "big")
