"""Luigi's execution summary, when a Luigi run other than ``pipeline_run``'s own holds Ruffus tasks.

Luigi names each task with its parameters: a generated task's are internal (``chunk=-1``,
``run_id=...``, ``workdir=...``), and a stage and its chunks are counted as Luigi tasks,
not as the jobs a Ruffus user knows. So the summary's lines naming a generated task are
rewritten: the Ruffus task's name, then what was done, by Ruffus task, in job counts.
``pipeline_run``'s own Luigi run shows ``launch.run_summary`` instead (``launch``); this
filter serves ``luigi --module SCRIPT`` and a hand-written task requiring ``luigi_task(...)``.

A whole run started by the ``luigi`` command (``api.luigi_module``) may run in a process
Luigi forked for it: it leaves what it did in a file of ``RESULTS`` (made before any fork),
named by its Luigi task id, which the process logging the summary reads.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile

from . import luigi_private, translate
from .launch import run_summary

_LINE = re.compile(r"^(\s*- \d+ )([^(\s]+)\((.*)$")
"""A task line of Luigi's summary: ``    - 3 family(params...)`` (see ``execution_summary._get_str``)."""

RUN_SUMMARY_HEADER = "ruffus-luigi: what this run did, by Ruffus task:"

RESULTS: str | None = None
"""The directory whole runs leave their summary in (one file per Luigi task id)."""


class _Rewrite(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and luigi_private.EXECUTION_SUMMARY_HEADER in record.msg:
            record.msg = rewrite(record.getMessage())
            record.args = ()
        return True


_FILTER = _Rewrite()


def install() -> None:
    """Rewrite every execution summary this process logs from now on (idempotent)."""
    global RESULTS
    if RESULTS is None:
        RESULTS = tempfile.mkdtemp(prefix="ruffus-luigi-summary-")
        atexit.register(_remove, RESULTS, os.getpid())
    logging.getLogger("luigi-interface").addFilter(_FILTER)


def _remove(directory: str, pid: int) -> None:
    if os.getpid() == pid:  # (not in a process forked from this one)
        shutil.rmtree(directory, ignore_errors=True)


def record_whole_run(task_id: str, text: str) -> None:
    """Keep what a whole run (``api.luigi_module``) did, for the summary of the Luigi run holding it."""
    if RESULTS is None or not text:
        return
    with open(os.path.join(RESULTS, _file_name(task_id)), "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)


def _file_name(task_id: str) -> str:
    return task_id.replace(os.sep, "_")


def _whole_run(family: str) -> list[str]:
    """The per-task lines of the whole run of this family's task without parameters, if it ran."""
    cls = translate.REGISTRY.classes.get(family) or _aliases().get(family)
    if cls is None or RESULTS is None:
        return []
    try:
        with open(os.path.join(RESULTS, _file_name(cls().task_id)), encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    return [line.strip() for line in lines if line.strip() and line.strip() != RUN_SUMMARY_HEADER]


def _aliases() -> dict[str, type]:
    """Generated classes registered under a second family name (``api.luigi_module``'s short names)."""
    return {c.get_task_family(): c for c in translate.REGISTRY.aliases}


def _in_this_process(ruffus_name: str) -> list[str]:
    """The line of ``run_summary`` for this Ruffus task, in each run still held here (``luigi_task``'s)."""
    found = []
    for state in translate.REGISTRY.all_runs():
        for line in run_summary(state).splitlines()[1:]:
            if line.strip().startswith(repr(ruffus_name) + ":"):
                found.append(line.strip())
    return found


def rewrite(text: str) -> str:
    """Luigi's summary with each generated task named as in Ruffus, followed by its job counts."""
    families = translate.REGISTRY.classes
    aliases = _aliases()
    out = []
    for line in text.splitlines():
        match = _LINE.match(line)
        cls = (families.get(match.group(2)) or aliases.get(match.group(2))) if match else None
        if cls is None:
            out.append(line)
            continue
        indent = " " * (len(match.group(1)) - len(match.group(1).lstrip()) + 4)
        out.append(match.group(1) + match.group(2))
        details = _whole_run(match.group(2)) or _in_this_process(cls.ruffus_name)
        out.extend(indent + d for d in details)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
