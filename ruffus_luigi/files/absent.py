"""Files a checkpoint strategy deleted that planning must still see, with their old times.

``remove-intermediates`` deletes files only Ruffus' bookkeeping needed; the up-to-date
rules and input globs then treat them as present (``stat`` and ``glob`` below), so
nothing reruns because they are gone. Empty unless such a strategy is in use.
"""

from __future__ import annotations

import fnmatch
import glob as globmod
import os
from types import SimpleNamespace
from typing import Any

_absent: dict[str, int] = {}  # absolute path -> modification time (ns)


def set_absent_files(files: dict[str, int]) -> None:
    """Replace the set of deleted files planning should see (absolute path -> mtime in ns)."""
    _absent.clear()
    _absent.update(files)


def stat(path: str) -> Any:
    """``os.stat``, or a stand-in for a deleted intermediate, or None where the file does not exist."""
    try:
        return os.stat(path)
    except (OSError, ValueError):
        if not _absent:
            return None
        mtime_ns = _absent.get(os.path.abspath(path))
        if mtime_ns is None:
            return None
        return SimpleNamespace(st_mtime=mtime_ns / 1e9, st_mtime_ns=mtime_ns, st_dev=-1, st_ino=0, st_size=0)


def glob(pattern: str) -> list[str]:
    """``glob.glob`` plus the deleted intermediates the pattern matches, spelled as glob would."""
    found = _glob(pattern)
    if not _absent:
        return found
    absolute = os.path.abspath(pattern)
    depth = absolute.count(os.sep)
    head = os.path.dirname(pattern)
    for path in _absent:
        if path.count(os.sep) == depth and fnmatch.fnmatchcase(path, absolute) and not os.path.lexists(path):
            name = os.path.join(head, os.path.basename(path))
            if globmod.has_magic(head) or os.path.abspath(name) != path:
                name = path if os.path.isabs(pattern) else os.path.relpath(path)
            found.append(name)
    return found


def _glob(pattern: str) -> list[str]:
    """``glob.glob``, listing the directory in one call when only the last component has wildcards.

    (``glob.glob`` yields a directory's names one by one through generators: 8 ms for a
    directory of 20,000 files, half of which this path saves.)
    """
    head, tail = os.path.split(pattern)
    if not globmod.has_magic(tail) or globmod.has_magic(head):
        return globmod.glob(pattern)
    try:
        names = os.listdir(head or os.curdir)
    except OSError:
        return []
    if tail[0] != ".":  # as glob: hidden names match only a pattern starting with "."
        names = [n for n in names if n[0] != "."]
    matched = fnmatch.filter(names, tail)
    return [os.path.join(head, n) for n in matched] if head else matched
