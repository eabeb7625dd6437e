"""Generated Luigi task classes: one per Ruffus task, family name = the task name.

An instance with ``chunk=-1`` stands for the whole Ruffus task (a *stage*):
it requires its parents' stages, plans its jobs when they are done and yields
its chunks as dynamic dependencies. An instance with ``chunk >= 0`` is a chunk:
a slice of the task's jobs, run by a Luigi worker. Chunks keep the number of
Luigi tasks small (Luigi's scheduler slows quadratically with pending tasks).

The parameters of a chunk's jobs live in the planning process (see ``execution.stages``);
forked Luigi workers inherit them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import luigi

from ..execution.chunks import Chunk
from ..execution.options import RunOptions
from ..execution.run import RunState
from ..planning.plan import prepare, tasks_to_run
from . import (
    foreign,
    luigi_random,  # noqa: F401 - Luigi's draws leave the script's generator alone
    luigid_view,
)
from .targets import chunk_targets, stage_targets

if TYPE_CHECKING:
    from ..model.task import Task


class Registry:
    """What the generated Luigi tasks find their Ruffus side by, in this process.

    Luigi makes a task from its class and parameters alone: a class stands for a Ruffus
    task by name, a stage names its run by id, a chunk's parameters are its key here. A
    slot (``slots``) is forked with the tasks and runs as they were, and registers the
    chunks it is sent.
    """

    def __init__(self) -> None:
        self.classes: dict[str, type[RuffusTask]] = {}
        self.aliases: list[type[RuffusTask]] = []  # (a second family name: api.luigi_module)
        self.base: type[RuffusTask] | None = None  # (the generated classes' base, if not RuffusTask)
        self.families: set[str] = set()  # Luigi families given (``luigid_view.family_name``)
        self.tasks: dict[str, Task] = {}
        self.runs: dict[str, RunState] = {}
        self.chunks: dict[tuple, Chunk] = {}

    def snapshot(self) -> tuple[dict[str, Task], dict[str, RunState]]:
        """The tasks and runs as they are now (what a slot forked now has)."""
        return dict(self.tasks), dict(self.runs)

    def all_runs(self) -> list[RunState]:
        return list(self.runs.values())

    def add_run(self, state: RunState) -> None:
        self.runs[state.run_id] = state

    def add_chunk(self, chunk: Chunk) -> None:
        """Remember a chunk by its Luigi parameters (``chunk_key``)."""
        self.chunks[chunk_key(chunk)] = chunk

    def forget_chunks(self, keys: list[tuple]) -> None:
        """Forget the chunks of these keys (a slot's, once it has run them)."""
        for key in keys:
            self.chunks.pop(key, None)

    def forget_all_chunks(self) -> None:
        """Forget every chunk (a slot's, inherited from the driver at the fork, are stale)."""
        self.chunks.clear()

    def forget_run(self, state: RunState) -> None:
        """Forget a run that has ended, and its chunks."""
        self.runs.pop(state.run_id, None)
        for key in [k for k, c in self.chunks.items() if c.state is state]:
            del self.chunks[key]


REGISTRY = Registry()


class RuffusTask(luigi.Task):
    """Base of the generated classes; see the module docstring.

    luigid shows ``jobs``, ``pipeline`` and ``workdir``; the other parameters are hidden but
    still make the task's id (``luigid_view``).
    """

    chunk = luigi.IntParameter(default=-1, description="-1: the whole task; >= 0: a chunk", visibility=luigid_view.HIDDEN)
    jobs = luigi.Parameter(default=luigid_view.STAGE_JOBS, description="the chunk's jobs")
    run_id = luigi.Parameter(default="", description="the pipeline_run this stage belongs to", visibility=luigid_view.HIDDEN)
    pipeline = luigi.Parameter(default="", description="the script that defines the pipeline")
    workdir = luigi.Parameter(default="", description="the directory the pipeline runs in")
    version = luigi.Parameter(default="", description="a chunk's inputs, hashed (shared luigid)", visibility=luigid_view.HIDDEN)

    ruffus_name: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.task_id = luigid_view.task_id(self, self.ruffus_name)

    def __hash__(self) -> int:
        return hash(self.task_id)

    def on_failure(self, exception: BaseException) -> str:
        """What luigid shows as the error: Ruffus' text for the failed jobs (``luigid_view.failure_text``)."""
        try:
            text = luigid_view.failure_text(self, exception)
        except Exception:  # noqa: BLE001 - (a chunk this process no longer knows): Luigi's own report
            text = None
        return super().on_failure(exception) if text is None else text

    @property
    def ruffus_task(self) -> Task:
        return REGISTRY.tasks[self.ruffus_name]

    def run_state(self) -> RunState:
        """The run this task belongs to."""
        if self.chunk >= 0:
            return self.planned_chunk().state
        if self.run_id:
            return REGISTRY.runs[self.run_id]
        return default_state()

    def planned_chunk(self) -> Chunk:
        """The chunk a chunk's instance stands for (``chunk >= 0`` only)."""
        return REGISTRY.chunks[(self.ruffus_name, self.chunk, self.jobs, self.workdir, self.version)]

    @property
    def resources(self) -> dict[str, int]:  # type: ignore[override]
        limit = self.ruffus_task.jobs_limit_value
        if self.chunk >= 0 and limit is not None:
            return {resource_name(self.ruffus_task): 1}
        return {}

    def requires(self) -> list[luigi.Task]:
        if self.chunk >= 0:
            return [c.luigi_task for c in self.planned_chunk().upstream]
        state = self.run_state()
        stages = [stage_of(p, state) for p in state.stages.stage_requirements(self.ruffus_task)]
        return stages + foreign.required_by(self.ruffus_task, state)  # hand-written Luigi inputs

    def output(self) -> Any:
        """Targets of the files, made when asked (see ``targets``): a chunk's per job,
        a stage's as Ruffus hands them to the next task."""
        if self.chunk >= 0:
            return chunk_targets(self.planned_chunk())
        return stage_targets(self.ruffus_task, self.run_state().planner)

    def complete(self) -> bool:
        """Ruffus' up-to-date rule, not Luigi's "the outputs exist" (which it implies)."""
        if self.chunk >= 0:
            return self.planned_chunk().complete()
        return self.run_state().stages.stage_done(self.ruffus_task)

    def run(self):  # noqa: ANN201 - a generator of dynamic dependencies
        if self.chunk >= 0:
            self.planned_chunk().run()
            return
        state = self.run_state()
        if os.getpid() != state.pid:
            raise RuntimeError(
                "Ruffus task %r must be planned in the process that holds its pipeline: run "
                "Luigi with workers=1, or pass worker_scheduler_factory="
                "ruffus_luigi.worker_scheduler_factory() to luigi.build" % self.ruffus_name
            )
        task, stages, shared = self.ruffus_task, state.stages, state.options.scheduler.shared
        chunks = stages.plan_with_early_parents(task)
        while chunks is None:  # must wait for a parent after all
            waiting = [p for p in task.parents if not stages.stage_done(p)]
            if waiting:
                yield WithoutPaths([stage_of(p, state) for p in waiting])
            chunks = stages.plan_with_early_parents(task)
        if shared:
            for c in chunks:
                if c.yielded and not c.dispatched:  # luigid resumed this stage: it lists them as done
                    c.listed_done_by_luigid()
        pending = [c for c in chunks if not c.complete()]
        stale = [c for c in pending if c.yielded]
        if stale and shared:
            stages.renew_finished(stale, all_of_them=True)  # luigid took them for done
        if pending:
            for c in pending:
                c.handed_to_luigi()
            yield WithoutPaths([c.luigi_task for c in pending])
        parent = stages.early_parent(task)
        if parent is not None and parent not in stages.finished:
            yield WithoutPaths(stage_of(parent, state))  # Ruffus finishes a task after its parents
        stages.finish_stage(task)


class WithoutPaths(luigi.task.DynamicRequirements):
    """A stage's dynamic dependencies, sent back to it as nothing rather than their outputs.

    When everything a generator yields is complete already, Luigi sends it back the
    outputs, asking ``output()`` of each: for a stage's chunks a ``LocalTarget`` per job,
    for a value the stage never reads. (A stage yields only what it found incomplete, so
    this is rare; a completion cache or another run sharing a luigid can make it happen.)
    """

    @property
    def paths(self) -> None:
        return None


@RuffusTask.event_handler(luigi.Event.FAILURE)
def _failed(task: RuffusTask, exception: BaseException) -> None:
    if task.chunk < 0:
        luigid_view.stage_failed(task)


@RuffusTask.event_handler(luigi.Event.PROCESS_FAILURE)
@RuffusTask.event_handler(luigi.Event.TIMEOUT)
def _worker_died(task: RuffusTask, message: str) -> None:
    """Luigi saw a chunk's process die or time out: its jobs fail with Luigi's explanation."""
    if task.chunk >= 0:
        task.planned_chunk().crashed(message)


def register_chunk(chunk: Chunk) -> RuffusTask:
    """Make the Luigi instance for a chunk and remember which chunk it stands for."""
    cls = class_for(chunk.task)
    workdir = chunk.state.workdir
    instance = cls(
        chunk=chunk.index, jobs=chunk.description, pipeline=luigid_view.pipeline_label(workdir), workdir=workdir,
        version=chunk.version,
    )
    REGISTRY.add_chunk(chunk)
    return instance


def chunk_key(chunk: Chunk) -> tuple:
    """What a chunk's Luigi instance is found by (its parameters)."""
    return (chunk.task.display_name, chunk.index, chunk.description, chunk.state.workdir, chunk.version)


def resource_name(task: Task) -> str:
    """The Luigi resource a ``@jobs_limit`` becomes."""
    return "ruffus_jobs_limit:" + task.semaphore_name


def class_for(task: Task) -> type[RuffusTask]:
    """The Luigi class of a Ruffus task, made once per task name and rebound to the newest task."""
    family = task.display_name
    REGISTRY.tasks[family] = task
    cls = REGISTRY.classes.get(family)
    if cls is None:
        name = luigid_view.family_name(family, REGISTRY.families)
        REGISTRY.families.add(name)
        cls = type(
            name,
            (REGISTRY.base or RuffusTask,),
            {
                "ruffus_name": family,
                "__module__": __name__,
                "__doc__": task.func_description or f"Ruffus task {family}",
                "task_namespace": "",
            },
        )
        REGISTRY.classes[family] = cls
    return cls


def stage_of(task: Task, state: RunState | None = None) -> RuffusTask:
    """The Luigi instance standing for a whole Ruffus task (in the given run)."""
    if state is None:
        return class_for(task)()
    return class_for(task)(run_id=state.run_id, pipeline=luigid_view.pipeline_label(state.workdir), workdir=state.workdir)


def register_run(state: RunState, done_in_luigid: Callable[[str], Any] | None = None) -> None:
    """Hand a run to Luigi: its generated tasks find it by id, its chunks get their Luigi
    instances here; ``done_in_luigid``: the scheduler's DONE tasks of a family (``StagePlanner.connect``)."""
    REGISTRY.add_run(state)
    state.connect(register_chunk, done_in_luigid)


def run_of(task: Task) -> RunState | None:
    """The ``pipeline_run`` under way in this process (or the driver it was forked from) that
    runs ``task``, if any.

    A hand-written Luigi task that such a run takes as input, requiring the Ruffus task,
    joins that run's stage: planned a second time, in another state, its chunks (whose
    Luigi ids do not name the run) would be mixed up with the run's own. A worker process
    asks too (Luigi checks a task's requirements before running it) and must find the same.
    """
    for state in REGISTRY.all_runs():
        if state is not _default_state and task in state.stages.incomplete_set:
            return state
    return None


_default_state: RunState | None = None


def default_state() -> RunState:
    """The plan used when Luigi itself runs a generated class (no ``pipeline_run``)."""
    global _default_state
    if _default_state is None:
        session = prepare(None, None, None, None, [], [])
        incomplete, _ = tasks_to_run(session.planner, session.targets, [], True)
        _default_state = RunState(session, incomplete, RunOptions.for_plain_luigi())
        register_run(_default_state)  # (Luigi's own scheduler: not shared, never asked)
    return _default_state
