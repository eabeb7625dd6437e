"""The ``slurm`` back end for ruffus-luigi (a plugin in the ``ruffus_luigi`` entry-point group)."""

from .backend import SlurmBackend

__all__ = ["SlurmBackend"]
