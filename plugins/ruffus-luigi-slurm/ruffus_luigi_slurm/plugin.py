"""Registers the ``slurm`` back end with ruffus-luigi."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

from ruffus_luigi.backends import with_options
from ruffus_luigi.backends.base import Backend, BackendUnavailable
from ruffus_luigi.hookspecs import hookimpl

COMMANDS = ("sbatch", "squeue", "scancel")


@dataclass
class SlurmOptions:
    """``[ruffus_luigi.backend.slurm]`` in luigi.cfg."""

    partition: str = field(default="", metadata={"help": "the partition of jobs that name no queue"})
    account: str = field(default="", metadata={"help": "sbatch --account"})
    sbatch_options: str = field(default="", metadata={"help": "appended to every sbatch, split like a shell line"})
    poll_interval: float = field(default=1.0, metadata={"help": "seconds between two squeue queries"})


@with_options(SlurmOptions)
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
