"""Directories under the working directory that only this user may change: ``.ruffus_luigi/...``.

Cluster jobs read their pickled function and parameters, their context (``sys.path``, the
script to load) and their job script from there, and the process that submitted them reads
their pickled results and logger calls back: whoever can replace those files runs code as
this user. In a directory others may write to (a shared scratch space, ``/tmp``) another
user could create ``.ruffus_luigi`` first, as a directory of theirs or a symbolic link to
one, and swap the files. So every directory from ``.ruffus_luigi`` down must be a real
directory owned by this user that nobody else may write to: one of ours with looser modes
is tightened, anything else is refused with ``ForeignDirectory`` before a job uses it.
"""

from __future__ import annotations

import errno
import os
import stat

ROOT = ".ruffus_luigi"
_ATTEMPTS = 10
_OPEN = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class ForeignDirectory(PermissionError):
    """A directory ruffus-luigi keeps cluster jobs' files in is not this user's own."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            "%s %s: ruffus-luigi keeps cluster jobs' files there and will not use it"
            " (remove it, or run from another directory)" % (path, reason)
        )
        self.path, self.reason = path, reason


def make(path: str) -> str:
    """``path``, made (mode 0700) where missing and checked from ``.ruffus_luigi`` down; returned."""
    chain = _chain(path)
    os.makedirs(os.path.dirname(chain[0]), exist_ok=True)  # (the working directory's side: not ours to check)
    for attempt in range(_ATTEMPTS):
        try:
            for step in chain:
                try:
                    os.mkdir(step, 0o700)
                except FileExistsError:
                    pass
                _check(step)
            break
        except FileNotFoundError:
            # another worker of the run removed a directory of the chain the moment it was
            # empty (its jobs done): make the chain again
            if attempt == _ATTEMPTS - 1:
                raise
    return path


def verify(path: str) -> None:
    """Raise ``ForeignDirectory`` unless ``path`` and its parents up to ``.ruffus_luigi`` are ours alone."""
    for step in _chain(path):
        _check(step)


def _chain(path: str) -> list[str]:
    """The directories to check: from the last ``.ruffus_luigi`` in ``path`` (or ``path`` alone) down."""
    parts = os.path.abspath(path).split(os.sep)
    first = len(parts) - 1 - parts[::-1].index(ROOT) if ROOT in parts else len(parts) - 1
    return [os.sep.join(parts[: i + 1]) for i in range(first, len(parts))]


def _check(path: str) -> None:
    try:
        fd = os.open(path, _OPEN)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            link = stat.S_ISLNK(os.lstat(path).st_mode)
            raise ForeignDirectory(path, "is a symbolic link" if link else "is not a directory") from None
        raise
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            raise ForeignDirectory(path, "belongs to another user (uid %d)" % st.st_uid)
        if st.st_mode & 0o022:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o700)  # ours: nobody else adds or swaps entries
    finally:
        os.close(fd)
