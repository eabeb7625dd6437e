"""How Ruffus names a job in its messages: ``Job  = [in -> out, extras]``, per kind of task."""

from __future__ import annotations

from typing import Any

from ..files.printable import ignore_unknown_encoder, shorten_filenames_encoder


def job_descriptor(kind: str, params: Any, vap: int) -> tuple[str, list[str]]:
    """A job's one-line name and its lines for an indented listing."""
    if kind == "io":
        extra = (
            ", " + shorten_filenames_encoder(map(str, params[2:]), vap)[1:-1]
            if len(params) > 2
            else ""
        )
        out = shorten_filenames_encoder(params[1], vap) if len(params) > 1 else "??"
        inp = shorten_filenames_encoder(params[0], vap) if len(params) > 0 else "??"
        return (
            "Job  = [%s -> %s%s]" % (inp, out, extra),
            ["Job  = [%s" % inp, "-> " + out + extra + "]"],
        )
    if kind == "one_to_many":
        extra = ", " + shorten_filenames_encoder(params[2:], vap)[1:-1] if len(params) > 2 else ""
        out = shorten_filenames_encoder(params[1], vap) if len(params) > 1 else "??"
        inp = shorten_filenames_encoder(params[0], vap) if len(params) > 0 else "??"
        lines = ["Job  = [%s" % inp]
        if len(params) > 1:
            if isinstance(params[1], (list, tuple)):
                lines.extend("-> " + shorten_filenames_encoder(p, vap) for p in params[1])
            else:
                lines.append("-> " + out)
        if len(params) > 2:
            lines.append(" , " + shorten_filenames_encoder(params[2:], vap)[1:-1])
        lines[-1] += "]"
        return "Job  = [%s -> %s%s]" % (inp, out, extra), lines
    if kind == "mkdir":
        if len(params) == 1:
            m = "Make directories %s" % shorten_filenames_encoder(params[0], vap)
        elif len(params) == 2:
            m = "Make directories %s" % shorten_filenames_encoder(params[1], vap)
        else:
            return [], []  # type: ignore[return-value]
        return m, [m]
    if params in ([], None):
        return "Job", ["Job"]
    m = "Job  = %s" % ignore_unknown_encoder(params)
    return m, [m]
