"""One ``pipeline_run`` (``RunState``): its options, its temporary files and its two working parts.

``pipeline_run`` (``api.pipeline_run``) resolves the ``RunOptions`` and makes the
``RunState``; everything below only reads the options. The parts:

- ``stages`` (``StagePlanner``): which Ruffus task may be planned when, its jobs judged and
  cut into chunks, its end (Ruffus' messages, ``@posttask``);
- ``executor`` (``ChunkExecutor``): a chunk's jobs run and recorded, in whatever process runs it;
- ``files`` (``RunFiles``): what the run's processes tell each other through its temporary directory.

The Luigi adapter's generated tasks call these parts; each part keeps its own state and
changes it only itself.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from ..checkpoints import Checkpoint
from ..model.task import Task
from ..planning.plan import Session
from ..planning.strategy_choice import Chosen
from . import progress
from .chunks import Chunk
from .executor import ChunkExecutor
from .options import RunOptions
from .run_files import RunFiles
from .stages import StagePlanner
from .strategies import Intermediates


class RunState:
    """One ``pipeline_run``: what it was asked (``options``), what it plans and what it runs."""

    def __init__(
        self, session: Session, incomplete: list[Task], options: RunOptions, chosen: Chosen | None = None
    ) -> None:
        self.run_id = uuid.uuid4().hex[:12]
        self.pid = os.getpid()  # the driver's
        self.workdir = os.getcwd()
        self.options = options
        self.session = session
        self.planner = session.planner
        self.incomplete = incomplete
        self.logger = progress.guarded(options.logger)  # (the live progress line is erased before a message)
        self.chosen = chosen or Chosen()
        self.files = RunFiles(self.pid)
        self.stages = StagePlanner(self, incomplete, session.forced)
        self.executor = ChunkExecutor(self)
        # files no job still needs are freed as the run goes, when a strategy asks for it
        self.intermediates = Intermediates(self, self.chosen.scope) if self.chosen.frees_files else None

    def connect(self, luigi_task_for: Callable[[Chunk], Any], done_in_luigid: Callable[[str], Any] | None = None) -> None:
        """The run is handed to Luigi: see ``StagePlanner.connect``."""
        self.stages.connect(luigi_task_for, done_in_luigid)

    def checkpoints_for(self, task: Task) -> list[Checkpoint]:
        """The strategies around this task's jobs (``history`` is implicit)."""
        return self.chosen.task_checkpoints.get(task, self.chosen.checkpoints)
