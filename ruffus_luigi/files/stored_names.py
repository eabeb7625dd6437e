"""File names as sqlite stores them: text, or bytes for a name that is not text.

The job history and the strategies' tables (``checkpoints``) key rows by file name; a name
holding bytes that are not UTF-8 (``os.fsdecode``'s surrogates) cannot be stored as text.
"""

from __future__ import annotations

import os


def storable(name: str) -> str | bytes:
    """A file name as sqlite can store it: a name holding undecodable bytes (``os.fsdecode``'s
    surrogates, which no UTF-8 text can hold) is kept as its bytes, a BLOB that equals no
    text key. Ruffus drops such files' history records silently; ruffus-luigi keeps them."""
    if name.isascii():
        return name
    try:
        name.encode()
    except UnicodeEncodeError:
        return os.fsencode(name)
    return name


def stored_name(value: str | bytes) -> str:
    """The file name ``storable`` stored as ``value``."""
    return value if isinstance(value, str) else os.fsdecode(value)
