"""The files a run's processes tell each other things by, in its temporary directory.

Forked workers share nothing with the driver but what they inherited: a chunk's outcomes
come back as a pickle, and two empty files are flags every process looks at (``STOP``: start
no more jobs; ``CLOCK_BEHIND``: an output was dated ahead of the clock).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from contextlib import suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .chunks import Chunk
    from .job import JobOutcome


class RunFiles:
    """The run's temporary directory (``TMPDIR``), made when the run is; removed by ``launch``."""

    def __init__(self, driver_pid: int) -> None:
        self.driver_pid = driver_pid
        self.run_dir = tempfile.mkdtemp(prefix="ruffus_luigi_")
        self.stop_path = os.path.join(self.run_dir, "STOP")
        self.clock_behind_path = os.path.join(self.run_dir, "CLOCK_BEHIND")

    def request_stop(self) -> None:
        """No process of the run starts another job."""
        open(self.stop_path, "w").close()

    def stopping(self) -> bool:
        """Start no more jobs: a job asked the run to stop, or (in a worker) the driver is gone."""
        return os.path.exists(self.stop_path) or (os.getpid() != self.driver_pid and os.getppid() != self.driver_pid)

    def clock_is_behind(self) -> None:
        """An output was dated ahead of the clock (for the driver and every worker)."""
        open(self.clock_behind_path, "w").close()

    def clock_was_behind(self) -> bool:
        return os.path.exists(self.clock_behind_path)

    def outcome_path(self, chunk: Chunk) -> str:
        return os.path.join(self.run_dir, "%s-%d.pickle" % (id(chunk.task), chunk.index))

    def has_outcomes(self, chunk: Chunk) -> bool:
        """A forked worker ran the chunk and passed back its outcomes."""
        return os.path.exists(self.outcome_path(chunk))

    def load_outcomes(self, chunk: Chunk) -> list[JobOutcome] | None:
        """The outcomes a forked worker passed back for the chunk, or None."""
        path = self.outcome_path(chunk)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return pickle.load(f)

    def save_outcomes(self, chunk: Chunk, outcomes: list[JobOutcome]) -> None:
        """In a worker: the chunk's outcomes for the driver, whole or not at all (renamed into
        place: a full temporary directory must not leave a truncated file for it to read)."""
        path = self.outcome_path(chunk)
        try:
            with open(path + ".part", "wb") as f:
                pickle.dump(outcomes, f)
            os.replace(path + ".part", path)
        except OSError:
            with suppress(OSError):
                os.unlink(path + ".part")
            raise

    def temporary_space_full(self) -> bool:
        """Whether the run's temporary directory (``TMPDIR``) has no room left (asked once a run has failed)."""
        try:
            found = os.statvfs(self.run_dir)
        except OSError:
            return False
        return found.f_bavail == 0 or found.f_favail == 0
