"""``atomic``'s temporary paths: the ``.ruffus_luigi.tmp`` directory and its key directories.

Everything here works through directory descriptors, never following a link, and reads or
removes only this user's own directories and regular files: the output's directory may be
a shared ``/tmp``-like one. Anything foreign in the way raises ``ForeignPath``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import stat
from contextlib import suppress

from .atomic_owners import owner_ended, this_process

TMP_DIR = ".ruffus_luigi.tmp"
OWNER = ".owner"  # suffix of the file naming the process a key directory belongs to
SUBMITTER = ".submitter"  # instead, for a job a back end runs elsewhere: the process that submitted it

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
OWN_DIR_FLAGS = DIR_FLAGS | os.O_NOFOLLOW | os.O_NONBLOCK  # a directory of ours: never through a link, never a FIFO
_FICLONE = 0x40049409  # Linux ioctl: the destination shares the source's blocks (btrfs, xfs, ...)


class ForeignPath(Exception):
    """What is wrong with a path (``path``, ``reason``), before the task and output are known."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path, self.reason = path, reason


def close_fds(*fds: int) -> None:
    """Close the descriptors that are open (-1: none)."""
    for fd in fds:
        if fd >= 0:
            os.close(fd)


def lstat_at(name: str, dir_fd: int) -> os.stat_result | None:
    """``name`` in ``dir_fd``, not followed if a link; None if there is none."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def mine(st: os.stat_result) -> bool:
    """Whether the file belongs to this (effective) user."""
    return st.st_uid == os.geteuid()


def open_tmp_dir(dir_fd: int, create: bool) -> int:
    """``.ruffus_luigi.tmp`` in ``dir_fd``, made if ``create``: a descriptor, or -1 if there is none.

    Raises ``ForeignPath`` if the name is taken by anything but a directory of this user;
    one of ours that others may write to is made private.
    """
    if create:
        try:
            os.mkdir(TMP_DIR, 0o700, dir_fd=dir_fd)
        except FileExistsError:
            pass
    try:
        fd = os.open(TMP_DIR, OWN_DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return -1
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            found = lstat_at(TMP_DIR, dir_fd)
            what = "a symbolic link" if found and stat.S_ISLNK(found.st_mode) else "not a directory"
            raise ForeignPath(TMP_DIR, "is %s" % what) from None
        raise
    st = os.fstat(fd)
    if not mine(st):
        os.close(fd)
        raise ForeignPath(TMP_DIR, "belongs to another user (uid %d)" % st.st_uid)
    if st.st_mode & 0o077:
        os.fchmod(fd, 0o700)  # nobody else may add, rename or remove entries in it
    return fd


def remove_key_dir(tmp_fd: int, name: str) -> None:
    """Key directory ``name`` and its owner (or submitter) file, if they are this user's and no links."""
    found = lstat_at(name, tmp_fd)
    if found and stat.S_ISDIR(found.st_mode) and mine(found):
        shutil.rmtree(name, ignore_errors=True, dir_fd=tmp_fd)  # descriptor-based: never follows a link
    forget_owner(tmp_fd, name)


def forget_owner(tmp_fd: int, name: str) -> None:
    """The owner and submitter files of key directory ``name``, if they are regular files of this user."""
    for suffix in (OWNER, SUBMITTER):
        found = lstat_at(name + suffix, tmp_fd)
        if found and stat.S_ISREG(found.st_mode) and mine(found):
            try:
                os.unlink(name + suffix, dir_fd=tmp_fd)
            except FileNotFoundError:
                pass


def remove_tmp_dir_if_empty(dir_fd: int, tmp_fd: int) -> None:
    """``.ruffus_luigi.tmp`` once empty, if the name still stands for the directory ``tmp_fd`` is."""
    mine, found = os.fstat(tmp_fd), lstat_at(TMP_DIR, dir_fd)
    if found and (found.st_dev, found.st_ino) == (mine.st_dev, mine.st_ino):
        try:
            os.rmdir(TMP_DIR, dir_fd=dir_fd)
        except OSError:
            pass  # not empty: another job writes in it


def read_owner(tmp_fd: int, name: str) -> str:
    """An owner file's text, if it is a regular file of this user (a link or anything else reads as "")."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=tmp_fd)
    except OSError:
        return ""
    try:
        st = os.fstat(fd)
        return os.read(fd, 4096).decode(errors="replace").strip() if stat.S_ISREG(st.st_mode) and mine(st) else ""
    finally:
        os.close(fd)


def stale(tmp_fd: int, name: str) -> bool:
    """Whether key directory ``name`` may go when its job runs again: its owner or submitter has ended (or is unknown)."""
    for suffix in (OWNER, SUBMITTER):
        if lstat_at(name + suffix, tmp_fd) is not None:
            return owner_ended(read_owner(tmp_fd, name + suffix))
    return True


def key_dir_name(name: str) -> str:
    """The key directory an entry of ``.ruffus_luigi.tmp`` belongs to."""
    for suffix in (OWNER, SUBMITTER):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def make_key_dir(tmp_fd: int, key: str, in_process: bool) -> tuple[str, int]:
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
        return name, os.open(name, OWN_DIR_FLAGS, dir_fd=tmp_fd)
    raise FileExistsError(errno.EEXIST, "no free key directory name", key)


def copy_output(dir_fd: int, base: str, found: os.stat_result, key_fd: int) -> None:
    """The existing output ``base`` (``found``) copied into the key directory: data, mode and times."""
    src = os.open(base, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        st = os.fstat(src)
        if (st.st_dev, st.st_ino) != (found.st_dev, found.st_ino):
            raise ForeignPath(base, "was replaced while the job was being prepared")
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
