"""A job history record, ``JobHistoryChecksum``, and the pickles the history stores.

Values are pickled as Ruffus 3.0.0 pickles them, under Ruffus' class name, so real Ruffus
reads our records and we read its records, without either importing the other.
"""

from __future__ import annotations

import io
import pickle
from time import gmtime, strftime
from typing import Any

from .checksums import EMPTY_CHECKSUM, function_checksum, params_checksum

# Ruffus' own location of the record class: what its pickles name and expect.
_RUFFUS_MODULE = "ruffus.ruffus_utility"
_RECORD_NAME = "JobHistoryChecksum"


class JobHistoryChecksum:
    """How and when one output file was made (Ruffus' ``JobHistoryChecksum``).

    ``params`` are the job's extra parameters (``params[2:]``, a tuple) and ``task``
    is a task with ``user_defined_work_func`` or the function itself. The pickled
    form names ``ruffus.ruffus_utility.JobHistoryChecksum`` so real Ruffus trusts it.
    """

    outfile: str | None
    mtime: float | None
    chksum_params: str
    chksum_func: str

    def __init__(self, outfile: str | None, mtime: float | None, params: Any, task: Any) -> None:
        self.outfile = outfile
        self.mtime = mtime
        self.chksum_params = params_checksum(params)
        func = getattr(task, "user_defined_work_func", task)
        self.chksum_func = EMPTY_CHECKSUM if func is None else function_checksum(func)

    @classmethod
    def from_checksums(
        cls, outfile: str | None, mtime: float | None, chksum_params: str, chksum_func: str
    ) -> JobHistoryChecksum:
        """A record from already computed checksums (one per output of a job)."""
        rec = cls.__new__(cls)
        rec.outfile = outfile
        rec.mtime = mtime
        rec.chksum_params = chksum_params
        rec.chksum_func = chksum_func
        return rec

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JobHistoryChecksum):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"JobHistoryChecksum(outfile={self.outfile!r}, mtime={self.mtime!r}, "
            f"chksum_params={self.chksum_params!r}, chksum_func={self.chksum_func!r})"
        )

    def __str__(self) -> str:
        return strftime("%d %b %Y %H:%M:%S", gmtime(self.mtime))


class _Unpickler(pickle.Unpickler):
    """Reads Ruffus' records (and ours) into our class without importing Ruffus."""

    def find_class(self, module: str, name: str) -> Any:
        # (ours: under any module it lived in, ``planning.history`` before this one)
        if name == _RECORD_NAME and module.startswith(("ruffus.", "ruffus_luigi.")):
            return JobHistoryChecksum
        return super().find_class(module, name)


# protocol 2: PROTO 2, GLOBAL "ruffus.ruffus_utility JobHistoryChecksum", EMPTY_TUPLE, NEWOBJ
_RECORD_HEADER = b"\x80\x02c" + f"{_RUFFUS_MODULE}\n{_RECORD_NAME}\n".encode() + b")\x81"


def loads(data: bytes) -> Any:
    """Unpickle a history value; Ruffus' record class becomes ours."""
    data = bytes(data)
    if data.startswith(_RECORD_HEADER) and data.endswith(b"b."):
        # what ``dumps`` writes: the state dict needs no class lookup (much faster)
        state = pickle.loads(b"\x80\x02" + data[len(_RECORD_HEADER) : -2] + b".")
        if type(state) is dict and state.keys() == _RECORD_FIELDS:
            return JobHistoryChecksum.from_checksums(**state)
    return _Unpickler(io.BytesIO(data)).load()


_RECORD_FIELDS = {"outfile", "mtime", "chksum_params", "chksum_func"}


def dumps(value: Any) -> bytes:
    """Pickle a history value; records are written under Ruffus' class name.

    The pickle is assembled by hand (header, then the state dict, then BUILD)
    because the pickle module would import ``ruffus`` to check the name.
    """
    if type(value) is JobHistoryChecksum:
        state = {
            "outfile": value.outfile,
            "mtime": value.mtime,
            "chksum_params": value.chksum_params,
            "chksum_func": value.chksum_func,
        }
        body = pickle.dumps(state, protocol=2)  # PROTO 2 ... STOP
        return _RECORD_HEADER + body[2:-1] + b"b."
    return pickle.dumps(value, protocol=-1)


