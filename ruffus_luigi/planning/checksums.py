"""The md5 checksums Ruffus 3.0.0 stores in its job history.

They must be byte-for-byte what Ruffus computes, otherwise a directory run by
real Ruffus at checksum level 2 or 3 would look out of date to us (and ours to
it). Both depend on the Python version (pickle protocol, bytecode), exactly as
they do in Ruffus.
"""

from __future__ import annotations

import hashlib
import marshal
import operator
import pickle
import weakref
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from typing import Any

#: md5 of nothing: what we store for a job without a Python function (never compared).
EMPTY_CHECKSUM = hashlib.md5(b"").hexdigest()


def params_checksum(params: Any) -> str:
    """md5 of the pickled extra parameters (Ruffus pickles ``params[2:]``, a tuple)."""
    return hashlib.md5(pickle.dumps(params)).hexdigest()


def _encode(value: Any) -> bytes | str | None:
    # Ruffus tries pickle, then marshal (nested code objects in co_consts), then
    # str(). A str result cannot be added to bytes later: Ruffus then fails to
    # checksum the function (and so never checkpoints its jobs); so do we.
    try:
        return pickle.dumps(value)
    except Exception:
        pass
    try:
        return marshal.dumps(value)
    except Exception:
        pass
    try:
        return str(value)
    except Exception:
        return None


def function_checksum(func: Callable[..., Any]) -> str:
    """md5 of a task function's bytecode and context, as Ruffus 3.0.0 computes it.

    Covers co_code plus defaults, argcount, consts, names, nlocals, varnames and
    (new in 3.0) the sorted keyword-only defaults, so moving the function to
    another line does not change it but editing its body or defaults does.
    Raises (like Ruffus) for callables without ``__code__`` or with parts that
    neither pickle nor marshal.
    """
    code = func.__code__
    seen = _checksums.get(func)
    if seen is not None and seen[:3] == (code, func.__defaults__, func.__kwdefaults__):
        return seen[3]
    checksum = _function_checksum(func, code)
    try:
        _checksums[func] = (code, func.__defaults__, func.__kwdefaults__, checksum)
    except TypeError:  # not weak-referenceable
        pass
    return checksum


_checksums: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Checksums already computed: every job of a task asks for the same function's."""


def compute_now(funcs: Iterable[Any]) -> None:
    """Compute (and keep) the checksums of these task functions before the run imports anything.

    The marshalled code of a nested function, lambda or comprehension depends on the
    state of the process: whether its strings are interned (one-character strings are
    shared by the whole process, and a module loaded later may intern them) and
    whether anything else holds them (a function or class made by the job and still
    alive). Ruffus computes a task's checksum with nothing but the script and Ruffus
    loaded and no job of it run; so do we, by computing all of them when a run or
    printout starts, before Luigi and the back ends are imported or any job runs.
    Callables that cannot be checksummed are left to fail where Ruffus fails.
    """
    for func in funcs:
        if func is not None:
            try:
                function_checksum(func)
            except Exception:  # noqa: BLE001 - raised again when the checksum is needed
                pass


def _function_checksum(func: Callable[..., Any], code: Any) -> str:
    parts: list[Any] = [
        func.__defaults__,
        code.co_argcount,
        code.co_consts,
        code.co_names,
        code.co_nlocals,
        code.co_varnames,
    ]
    kwdefaults = getattr(func, "__kwdefaults__", None)
    if kwdefaults:
        parts.append(sorted(kwdefaults.items()))
    encoded: Sequence[Any] = [e for e in map(_encode, parts) if e is not None]
    extras = reduce(operator.add, encoded)
    return hashlib.md5(marshal.dumps(code.co_code) + extras).hexdigest()
