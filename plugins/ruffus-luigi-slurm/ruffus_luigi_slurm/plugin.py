"""Registers the ``slurm`` back end with ruffus-luigi."""

from __future__ import annotations

import shutil
from typing import Any

from ruffus_luigi.backends.base import Backend, BackendUnavailable
from ruffus_luigi.hookspecs import hookimpl

COMMANDS = ("sbatch", "squeue", "scancel")


def make_slurm(**options: Any) -> Backend:
    """The slurm back end, or ``BackendUnavailable`` naming the missing command."""
    missing = [c for c in COMMANDS if shutil.which(c) is None]
    if missing:
        raise BackendUnavailable(
            "back end 'slurm' needs %s on PATH (Debian: slurm-client)" % ", ".join(missing)
        )
    from .backend import SlurmBackend

    return SlurmBackend(**options)


@hookimpl
def ruffus_luigi_register_backends() -> dict[str, Any]:
    """``slurm``: jobs through sbatch/squeue/sacct/scancel."""
    return {"slurm": make_slurm}
