"""The names a file goes by besides the one a task declared, for strategies that free files.

``zero-intermediates`` and ``remove-intermediates`` change a file only when nothing else
can reach it: no job still naming it (anywhere in its parameters, not only its inputs),
no hard link (a second name for the same data), no symbolic link to it or to a
directory holding it. A link found on disk is judged at the time of freeing, because the
jobs that made it (a "stage" or "publish" task) may have run moments before.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from typing import Any


def names_in(params: Any) -> list[str]:
    """Every string in a job's parameters: nested lists, tuples, sets and dicts (keys and values)."""
    found: list[str] = []
    stack = [params]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
    return found


class LinkMap:
    """The symbolic links under a working tree and in some other directories, with what they lead to."""

    def __init__(self, workdir: str, elsewhere: Iterable[str] = ()) -> None:
        """``elsewhere``: absolute names outside the working tree (jobs' files): their directories are
        listed, and a name reached through a linked directory counts as a link itself."""
        self.links: list[tuple[str, str]] = []  # (the link's absolute path, its fully resolved target)
        self._walk(os.path.abspath(workdir))
        directories = set()
        for name in elsewhere:
            real = os.path.realpath(name)
            if real != name:
                self.links.append((name, real))
            directories.add(os.path.dirname(name))
        for directory in directories:
            self._list(directory)

    def _walk(self, top: str) -> None:
        pending = [top]
        while pending:
            for entry in self._entries(pending.pop()):
                if entry.is_symlink():
                    self.links.append((entry.path, os.path.realpath(entry.path)))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)

    def _list(self, directory: str) -> None:
        for entry in self._entries(directory):
            if entry.is_symlink():
                self.links.append((entry.path, os.path.realpath(entry.path)))

    @staticmethod
    def _entries(directory: str) -> list[os.DirEntry]:
        try:
            with os.scandir(directory) as it:
                return list(it)
        except OSError:
            return []

    def reaches(self, path: str) -> bool:
        """Whether a link other than those on ``path``'s own route leads to it (or to a directory above it)."""
        path = os.path.abspath(path)
        real = os.path.realpath(path)
        for link, target in self.links:
            if link == path or path.startswith(link + os.sep):
                continue  # the route the pipeline itself names the file by
            if real == target or real.startswith(target.rstrip(os.sep) + os.sep):
                return True
        return False


def sole_name(st: os.stat_result) -> bool:
    """A regular file with a single name (no hard link elsewhere)."""
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1
