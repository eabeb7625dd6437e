"""The cyclic garbage collector during a run: what is made in bulk to last the run is kept out of its passes.

A run loads its plan cache (about ten objects per job) and imports Luigi (about 100,000
objects); all of it lives until the run ends. Collections while it is made find nothing
to free, yet walk it again and again: 26 ms of W2's 0.5 s touch-one rerun (10,000 jobs).
So it is made with the collector paused, then frozen (``gc.freeze``, as the heap is before
each fork: see ``worker.RuffusWorker``); ``thaw`` at the end of the run gives every
frozen object back to the collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived() -> Iterator[None]:
    """Make objects that last the run: the collector paused meanwhile, then out of its passes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


def thaw() -> None:
    """The run is over: the objects frozen during it (or before a fork) are collected again."""
    gc.unfreeze()
