"""Registers the built-in checkpoint strategies, through the entry point a third party would use."""

from __future__ import annotations

from ..hookspecs import hookimpl
from .atomic import Atomic
from .base import Checkpoint
from .intermediates import FreeIntermediates


class History(Checkpoint):
    """Ruffus' sqlite job history. Always kept (Ruffus' up-to-date rules need it); naming it changes nothing."""

    name = "history"


@hookimpl
def ruffus_luigi_register_checkpoints() -> dict:
    return {
        "history": History,
        "atomic": Atomic,
        "zero-intermediates": lambda: FreeIntermediates(remove=False),
        "remove-intermediates": lambda: FreeIntermediates(remove=True),
    }
