"""``atomic``: a job writes its outputs under temporary names, renamed into place on success.

The temporary name of ``dir/sample.bam`` is ``dir/.ruffus_luigi.tmp/<key>/sample.bam``:
the same file system (so the rename is atomic), the same basename and extension (so
tools that look at either still work), and hidden from Ruffus' globs. A job killed
half-way leaves only that hidden directory, which the job's next run clears first;
the final path never holds a half-written file.

It cannot apply to what a job writes without being told the name (a path computed
from the input, an undeclared side file): those are written in place as usual. It is
also skipped for glob patterns among the outputs (``@split`` to ``*.part``), for
outputs that are inputs too or symbolic links (the job writes through the link), and
where the output's directory does not exist yet (the job may be the one to create it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from typing import Any

from ..filenames import is_glob
from .base import Checkpoint, CheckpointJob

TMP_DIR = ".ruffus_luigi.tmp"


def temporary_path(path: str) -> str:
    """Where a job writes ``path`` under this strategy."""
    key = hashlib.md5(os.path.abspath(path).encode()).hexdigest()[:12]
    return os.path.join(os.path.dirname(path), TMP_DIR, key, os.path.basename(path))


def _replace(value: Any, names: dict[str, str]) -> Any:
    """``value`` with the strings in ``names`` replaced, keeping its nesting and types."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, names) for v in value)
    return value


def _remove_key_dir(temporary: str) -> None:
    key_dir = os.path.dirname(temporary)
    shutil.rmtree(key_dir, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(key_dir))  # the .ruffus_luigi.tmp directory, once empty
    except OSError:
        pass


class Atomic(Checkpoint):
    """Outputs appear at their final path only once their job has succeeded."""

    name = "atomic"

    def before_job(self, job: CheckpointJob) -> None:
        inputs = set(job.inputs)
        names = {}
        for out in job.outputs:
            if (
                is_glob(out)
                or out in inputs
                or os.path.islink(out)  # written through the link, to where it points
                or not os.path.isdir(os.path.dirname(out) or ".")
            ):
                continue
            temporary = temporary_path(out)
            _remove_key_dir(temporary)  # left by a run that was killed
            os.makedirs(os.path.dirname(temporary))
            names[out] = temporary
        if names and len(job.params) >= 2:
            job.state["atomic"] = (names, job.params)
            job.params = (job.params[0], _replace(job.params[1], names), *job.params[2:])

    def job_succeeded(self, job: CheckpointJob) -> None:
        names, job.params = job.state.pop("atomic", ({}, job.params))
        for final, temporary in names.items():
            if os.path.lexists(temporary):
                os.replace(temporary, final)
            _remove_key_dir(temporary)

    def job_failed(self, job: CheckpointJob) -> None:
        names, job.params = job.state.pop("atomic", ({}, job.params))
        for temporary in names.values():
            _remove_key_dir(temporary)
