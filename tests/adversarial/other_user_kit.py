"""A second Unix user for the shared-directory attacks, and what they leave behind.

Imported by the adversarial tests that need another user (pytest puts this folder on
``sys.path``): ``second_user`` makes one with ``useradd`` and removes it, ``as_other`` runs a
shell command as that user (``setpriv``: no capability of root's is kept), ``tree`` lists what
a directory holds, owner included, so a test can show that nothing of anyone's changed.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def second_user(prefix: str) -> Iterator[tuple[int, int]]:
    """A new local user named ``<prefix><pid>`` for the block: (uid, gid)."""
    name = "%s%d" % (prefix, os.getpid())
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True, timeout=60)
    try:
        entry = pwd.getpwnam(name)
        yield entry.pw_uid, entry.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False, timeout=60)


def as_other(user: tuple[int, int], command: str, cwd: Path) -> None:
    """Run ``sh -ec command`` in ``cwd`` as ``user``, without root's supplementary groups."""
    uid, gid = user
    subprocess.run(
        ["setpriv", "--reuid", str(uid), "--regid", str(gid), "--clear-groups", "sh", "-ec", command],
        cwd=cwd, check=True, timeout=60,
    )


def tree(path: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Every entry under ``path`` whose name does not start with one of ``skip``: its owner, and
    what it is (a link's target, a file's text, a directory's mode)."""
    found = {}
    for entry in sorted(path.rglob("*")):
        if skip and entry.name.startswith(skip):
            continue
        st = entry.lstat()
        if entry.is_symlink():
            what = "-> " + os.readlink(entry)
        elif entry.is_file():
            what = entry.read_bytes().decode(errors="replace")
        else:
            what = oct(st.st_mode)
        found[str(entry.relative_to(path))] = (st.st_uid, what)
    return found
