"""``atomic``'s leftovers removed at the start of a run, when provably stale.

The ``.ruffus_luigi.tmp`` directories a pipeline used are listed in its history file (table
``ruffus_luigi_atomic``), so a run finds them without planning; a key directory goes only if
its owner process is known here and has ended.
"""

from __future__ import annotations

import os
import sqlite3

from ..files.stored_names import stored_name
from .atomic_owners import owner_ended
from .atomic_paths import (
    DIR_FLAGS,
    OWNER,
    TMP_DIR,
    ForeignPath,
    lstat_at,
    open_tmp_dir,
    read_owner,
    remove_key_dir,
    remove_tmp_dir_if_empty,
)

TABLE = "ruffus_luigi_atomic"


def connect_table(history_file: str) -> sqlite3.Connection:
    """The history file, with the table of the ``.ruffus_luigi.tmp`` directories made if missing."""
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
        dir_fd = os.open(os.path.dirname(tmp_dir), DIR_FLAGS)
    except OSError:
        return [], not os.path.isdir(os.path.dirname(tmp_dir))
    try:
        try:
            tmp_fd = open_tmp_dir(dir_fd, create=False)
        except (ForeignPath, OSError):
            return [], False  # someone else's, or unreadable: not ours to clean
        if tmp_fd < 0:
            return [], True
        removed = []
        try:
            for name in os.listdir(tmp_fd):
                if name.endswith(OWNER) and owner_ended(read_owner(tmp_fd, name)):
                    key_dir = name[: -len(OWNER)]
                    remove_key_dir(tmp_fd, key_dir)
                    removed.append(os.path.join(tmp_dir, key_dir))
            remove_tmp_dir_if_empty(dir_fd, tmp_fd)
        finally:
            os.close(tmp_fd)
        return removed, lstat_at(TMP_DIR, dir_fd) is None
    finally:
        os.close(dir_fd)


def remove_stale(history_file: str) -> list[str]:
    """Remove the key directories whose owner has ended, in the directories the history lists.

    Empty ``.ruffus_luigi.tmp`` directories go too, and so do the rows of directories gone.
    Returns the key directories removed.
    """
    if not os.path.exists(history_file):
        return []
    con = connect_table(history_file)
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
