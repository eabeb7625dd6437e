"""File names and times as ``pipeline_printout`` and Ruffus' messages show them.

Names are shortened to their last few path levels (``verbose_abbreviated_path``) or to a
length, and objects without a useful ``str`` show as ``<Class>``, all as Ruffus shows them.
"""

from __future__ import annotations

import os
import re
from time import gmtime, strftime
from typing import Any

from .filenames import SEQUENCE_TYPES, shared_decomposition

__all__ = [
    "epoch_seconds_to_str",
    "get_nth_nested_level_of_path",
    "get_readable_path_str",
    "ignore_unknown_encoder",
    "shorten_filenames_encoder",
]


def ignore_unknown_encoder(obj: Any) -> str:
    """Parameters as printable text: ``<Class>`` for objects without a useful str."""
    if isinstance(obj, SEQUENCE_TYPES):
        return "[" + ", ".join(map(ignore_unknown_encoder, obj)) + "]"
    try:
        s = str(obj)
        if " object" in s and s[0] == "<" and s[-1] == ">":
            pos = s.find(" object")
            s = "<" + s[1:pos].replace("__main__.", "") + ">"
        return s.replace('"', "'")
    except Exception:
        return "<" + str(obj.__class__).replace('"', "'") + ">"


def get_nth_nested_level_of_path(path: Any, n: Any) -> Any:
    """The file name with its last ``n - 1`` directories, prefixed ``.../`` if shorter.

    Ruffus returns None when the shortened path is not shorter than ``path``.
    """
    if not n or n < 0:
        return path
    res = shared_decomposition(path)
    basename = res["basename"] + res["ext"]
    shortened = os.path.join(*(list(reversed(res["subdir"][0 : (n - 1)])) + [basename]))
    if len(shortened) < len(path):
        return ".../" + shortened
    return None


def shorten_filenames_encoder(obj: Any, n_levels: int = 2) -> str:
    """Parameters as text with paths cut to ``n_levels`` directories.

    0 means absolute paths; a negative value asks for the deepest nesting that
    keeps the text within ``-n_levels`` characters, truncating from the left.
    """
    if n_levels < 0:
        desired_len = -n_levels
        for nestedness in range(1, 20):
            res = shorten_filenames_encoder(obj, nestedness)
            if len(res) > desired_len or "..." not in res:
                break
        desired_len = max(4, desired_len - 5)
        offset = len(res) - desired_len
        if offset < 0:
            return res
        return "<???> " + res[offset:]

    if isinstance(obj, SEQUENCE_TYPES):
        return "[" + ", ".join(shorten_filenames_encoder(o, n_levels) for o in obj) + "]"
    if not isinstance(obj, str):
        return ignore_unknown_encoder(obj)
    if not n_levels:
        return ignore_unknown_encoder(os.path.abspath(obj))
    if obj[1:].count("/") < n_levels:
        return ignore_unknown_encoder(obj)
    rel_path = os.path.relpath(obj)
    if rel_path.count("/") <= n_levels:
        return ignore_unknown_encoder(rel_path)
    return ignore_unknown_encoder(get_nth_nested_level_of_path(obj, n_levels))


def get_readable_path_str(path: str, max_len: int) -> str:
    """``path`` cut to about ``max_len`` characters at a directory boundary."""
    if len(path) < max_len:
        return path
    truncated = path[-(max_len - 5) :]
    if "/" not in truncated:
        return "[...]" + truncated
    return "[...]" + re.sub("^[^/]+", "", truncated)


def epoch_seconds_to_str(t: float) -> str:
    """``25 May 2011 23:37:40.12``: a UTC time with hundredths of a second."""
    time_str = strftime("%d %b %Y %H:%M:%S", gmtime(t))
    return time_str + ("%.2f" % (t - int(t)))[1:]
