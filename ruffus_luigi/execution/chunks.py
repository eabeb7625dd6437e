"""A planned job and a chunk (a slice of one Ruffus task's jobs): what a Luigi worker runs.

``stages`` cuts chunks when it plans a task; the Luigi adapter gives each a Luigi task
instance and asks it whether it is complete; ``executor`` runs its jobs. A chunk records
its own status: the adapter tells it what happened through its methods.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..files.filenames import flatten_strings
from ..model.job_names import job_descriptor
from ..model.task import Task
from ..planning import history_store
from . import driver
from .claims import job_key
from .job import JobOutcome

if TYPE_CHECKING:
    from .run import RunState


@dataclass
class PlannedJob:
    index: int
    params: tuple
    display: tuple
    needs_run: bool
    task: Task
    vap: int
    inputs_seen: tuple | None = None  # its inputs as its up-to-date check saw them (plan_cache.inputs_seen)
    early: bool = False  # planned before its input was remade: that the input exists is checked when it runs

    @property
    def name(self) -> str:
        """``Job  = [...]`` as Ruffus prints it; computed only when shown (it is not cheap)."""
        return job_descriptor(self.task.job_descriptor, self.display, self.vap)[0]

    @property
    def label(self) -> str:
        """``name`` with long file lists cut short: a Luigi parameter for people to read."""
        display = tuple(_cut_short(p) if i < 2 else p for i, p in enumerate(self.display))
        return job_descriptor(self.task.job_descriptor, display, self.vap)[0]


def _cut_short(files: Any, keep: int = 3) -> Any:
    if isinstance(files, (list, tuple)) and len(files) > keep + 1:
        return [*files[:keep], "... %d more" % (len(files) - keep)]
    return files


@dataclass
class Chunk:
    """A slice of one Ruffus task's jobs: the unit a Luigi worker runs."""

    state: RunState
    task: Task
    index: int
    jobs: list[PlannedJob]
    forced: bool
    description: str = ""
    done: bool = False
    recheck: bool = False
    outcomes: list[JobOutcome] = field(default_factory=list)
    luigi_task: Any = None
    upstream: list[Chunk] = field(default_factory=list)  # chunks making this one's inputs
    version: str = ""  # under a shared luigid: changes when the chunk's inputs change
    verified: bool = False  # under a shared luigid: its id is not one luigid listed as done before it was cut
    dispatched: bool = False  # this run's Luigi worker started it
    yielded: bool = False  # its stage yielded it (and is resumed once luigid lists it done)
    keep_signatures: bool | None = None  # set by a slot: the driver's plan cache wants them

    def complete(self) -> bool:
        if self.done:
            return True
        state = self.state
        if state.files.has_outcomes(self):  # run by a forked worker
            self.done = not any(o.error or o.signalled_break or o.missing_input for o in self.results())
            return self.done
        if self.forced or (self.dispatched and os.getpid() == state.pid):
            return False  # (being run by this run: its outcome file will say; no disk recheck)
        if self.recheck or (state.options.scheduler.shared and os.getpid() != state.pid):
            # another run sharing our luigid may have done these jobs (a forked worker
            # checks the chunks it depends on this way before running its own)
            return self.done_on_disk()
        return not any(j.needs_run for j in self.jobs)

    def done_on_disk(self, history: Any = None) -> bool:
        """Do the files and the job history say now that its jobs are done (by any run)?

        Not while a chunk making its inputs is not done: until then its outputs only look
        up to date. ``history``: the driver's, refreshed already (else it is refreshed here).
        """
        if self.done:
            return True
        if self.forced:
            return False
        state = self.state
        forked = os.getpid() != state.pid
        if not forked and history is None:
            history = state.planner.history
            history.refresh()
        if not all(u.complete() or (not forked and u.done_on_disk(history)) for u in self.upstream):
            return False
        own = history_store.open_job_history(state.options.history_file or ":memory:") if forked else None
        try:
            self.done = not any(
                state.planner.job_needs_update(self.task, j.params, history=own or history, explain=False)[0]
                for j in self.jobs
                if j.needs_run
            )
        finally:
            if own is not None:
                own.close()
        return self.done

    def results(self) -> list[JobOutcome]:
        """The outcomes of its jobs: its own, or those a forked worker passed back (read once)."""
        if not self.outcomes:
            self.outcomes = self.state.files.load_outcomes(self) or []
        return self.outcomes

    def jobs_by_index(self) -> dict[int, PlannedJob]:
        return {j.index: j for j in self.jobs}

    def to_run(self) -> list[PlannedJob]:
        """The jobs a worker running the chunk looks at: those out of date when it was planned."""
        return [j for j in self.jobs if j.needs_run or self.forced]

    def claim_keys(self, jobs: list[PlannedJob]) -> list[str]:
        """What names these jobs of the chunk among the claims of runs sharing luigid (``claims``)."""
        name = self.task.display_name
        return [job_key(name, j.index, j.params) for j in jobs]

    # -- its identity in Luigi -----------------------------------------------------------
    def identify(self, luigi_task_for: Callable[[Chunk], Any], versioned: bool = False) -> None:
        """Take its Luigi task instance; ``versioned`` (under a shared luigid): with a version
        made from its upstream chunks' ids, so runs started together make the same chunks."""
        if versioned and self.upstream:
            self.version = hashlib.md5("\n".join(u.luigi_task.task_id for u in self.upstream).encode()).hexdigest()[:10]
        self.luigi_task = luigi_task_for(self)

    def renew(self, when: Any, luigi_task_for: Callable[[Chunk], Any]) -> None:
        """A new version (and Luigi task) made from the last update of the done task luigid
        lists under its id (``StagePlanner.renew_finished``)."""
        self.version = hashlib.md5(("%s done at %s" % (self.version, when)).encode()).hexdigest()[:10]
        self.luigi_task = luigi_task_for(self)

    def checked_in_luigid(self) -> None:
        """Its id is not one luigid listed as done before it was cut: whoever later does it shares it."""
        self.verified = True

    # -- what the Luigi adapter tells it ----------------------------------------------
    def started(self) -> None:
        """This run's Luigi worker is about to run it."""
        self.dispatched = True

    def handed_to_luigi(self) -> None:
        """Its stage yielded it to Luigi (luigid resumes the stage once it lists it done)."""
        self.yielded = True

    def listed_done_by_luigid(self) -> None:
        """luigid resumed its stage without this run's worker running it: whoever did shared
        its id when it was verified; otherwise it is rechecked on disk."""
        if self.verified:
            self.done = True
        else:
            self.recheck = True

    def crashed(self, message: str) -> None:
        """The worker process died (killed, out of memory...): every job it had fails."""
        why = "(%s; its outputs are not trusted: the next run redoes the job)" % message
        self.outcomes = [
            JobOutcome(j.index, j.name, ran=False, error=(self.task.name, j.name, "ruffus_luigi.WorkerDied", why, ""))
            for j in self.jobs
            if j.needs_run or self.forced
        ]

    def run(self) -> None:
        """Run its jobs (``executor``); in a forked worker, pass their outcomes back in a file."""
        state = self.state
        forked = os.getpid() != state.pid
        if forked and not driver.die_with(state.pid):
            raise RuntimeError("the run's driver (pid %d) has ended: no job starts" % state.pid)
        with driver.stopped_by_sigterm() if forked else nullcontext():
            outcomes = state.executor.execute(self)
        if forked:
            state.files.save_outcomes(self, outcomes)
        else:
            self.outcomes = outcomes
        self.done = not any(o.error or o.signalled_break or o.missing_input for o in outcomes)
        if not self.done:
            failed = [o for o in outcomes if o.error or o.missing_input]
            raise RuntimeError(
                "%d job(s) of Ruffus task %r failed: %s"
                % (len(failed), self.task.display_name, ", ".join(o.name for o in failed))
            )


def file_names(params: Any) -> list[str]:
    """The file names in (part of) a job's parameters."""
    return [f for f in flatten_strings(params) if isinstance(f, str)]


def output_names(jobs: list[PlannedJob]) -> Iterator[str]:
    """The output file names of these jobs (most jobs have one string: no flattening)."""
    for job in jobs:
        output = job.params[1] if len(job.params) >= 2 else None
        if isinstance(output, str):
            yield output
        elif output is not None:
            yield from file_names([output])
