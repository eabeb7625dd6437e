"""Luigi draws its random numbers from a generator of its own, never from the script's.

A script that calls ``random.seed(42)`` gets, under Ruffus with ``multiprocess=1``, one
stream of numbers across its jobs (they run one after another in the calling process),
and its state after ``pipeline_run`` is the one its jobs left. Luigi uses the module-level
generator: a draw for its worker id's salt, one per idle wait (the jitter), and a reseed
in each task process, all in between the script's jobs. So Luigi's modules get a private
``random.Random`` in place of the ``random`` module they imported: the same methods, its
own state. Like the module's generator, it is reseeded in every forked child, so forked
processes do not make the same temporary names.
"""

from __future__ import annotations

import os
import random

from . import luigi_private

LUIGI_RANDOM = random.Random()
os.register_at_fork(after_in_child=LUIGI_RANDOM.seed)
luigi_private.use_own_random(LUIGI_RANDOM)
