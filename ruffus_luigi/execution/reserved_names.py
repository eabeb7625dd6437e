"""Names ruffus-luigi keeps for its own bookkeeping, refused as a job's output.

Ruffus 3.0.0 lets a job write over anything, its own ``.ruffus_history.sqlite`` included
(the run then ends "successfully" with its history gone). ruffus-luigi keeps more beside
the outputs: the history (and SQLite's journal files), the working directory's lock,
``.ruffus_luigi/`` (cluster jobs' files and ledgers) and ``atomic``'s
``.ruffus_luigi.tmp/`` in each output's directory. A job writing one of those would
destroy a record or have its output removed by the run's own clean-up, so such an output
stops the run before the job, naming the task and the output; nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..checkpoints.atomic_paths import TMP_DIR
from ..errors.clear_errors import ClearError
from .private_dirs import ROOT
from .workdir_lock import LOCK_NAME

RESERVED = frozenset({TMP_DIR, ROOT, LOCK_NAME})
_HISTORY_FILES = ("", "-journal", "-wal", "-shm")  # SQLite writes these beside the database


class ReservedOutput(ClearError):
    """A job's output is one of ruffus-luigi's bookkeeping files or directories."""


def check_outputs(task: str, outputs: Iterable[str], history_file: str | None) -> None:
    """Raise ``ReservedOutput`` if one of these outputs (of jobs about to run) is reserved.

    An output costs a substring test or two: every bookkeeping name starts with ``.ruffus``,
    and the history file's own name is looked for only when it does not.
    """
    history = os.path.abspath(history_file) if history_file and history_file != ":memory:" else ""
    clue = os.path.basename(history) if history and ".ruffus" not in os.path.basename(history) else ".ruffus"
    for output in outputs:
        if ".ruffus" not in output and clue not in output:
            continue
        path = os.path.abspath(output)
        found = RESERVED.intersection(path.split(os.sep))
        if found or (history and path in {history + s for s in _HISTORY_FILES}):
            raise ReservedOutput(
                "task '%s': output %r is a name ruffus-luigi keeps for its own bookkeeping (%s); "
                "name the output otherwise (nothing was written)"
                % (task, output, ", ".join(sorted(found)) if found else "the job history " + history)
            )
