"""Generated Luigi task classes: one per Ruffus task, family name = the task name.

An instance with ``chunk=-1`` stands for the whole Ruffus task (a *stage*):
it requires its parents' stages, plans its jobs when they are done and yields
its chunks as dynamic dependencies. An instance with ``chunk >= 0`` is a chunk:
a slice of the task's jobs, run by a Luigi worker. Chunks keep the number of
Luigi tasks small (Luigi's scheduler slows quadratically with pending tasks).

The parameters of a chunk's jobs live in the planning process (see ``run``);
forked Luigi workers inherit them.
"""

from __future__ import annotations

import gc
import os
import time
from typing import TYPE_CHECKING, Any

import luigi
import luigi.interface
import luigi.rpc
import luigi.scheduler
import luigi.worker

from ..execution import progress
from ..execution.driver import Terminated
from ..execution.run import RunState
from ..model.loggers import black_hole_logger
from ..planning.plan import prepare, tasks_to_run
from ..settings import config
from . import luigi_random, luigid_http  # noqa: F401 - luigi_random: Luigi's draws leave the script's generator alone
from .targets import chunk_targets, stage_targets

if TYPE_CHECKING:
    from ..model.pipeline import Task

IDLE_WAIT = 0.5
"""Seconds a worker waits for its own tasks before asking a scheduler that had no work again."""
INTERRUPT_GRACE = 5.0
"""Seconds a worker process has after Ctrl-C to end by itself before it is terminated."""

_classes: dict[str, type] = {}
_tasks: dict[str, Task] = {}
_runs: dict[str, RunState] = {}


class RuffusTask(luigi.Task):
    """Base of the generated classes; see the module docstring."""

    chunk = luigi.IntParameter(default=-1, description="-1: the whole task; >= 0: a chunk")
    jobs = luigi.Parameter(default="", description="the chunk's jobs")
    run_id = luigi.Parameter(default="", description="the pipeline_run this stage belongs to")
    workdir = luigi.Parameter(default="", description="the directory the pipeline runs in")
    version = luigi.Parameter(default="", description="a chunk's inputs, hashed (shared luigid)")

    ruffus_name: str = ""

    @property
    def ruffus_task(self) -> Task:
        return _tasks[self.ruffus_name]

    def _state(self) -> RunState:
        if self.chunk >= 0:
            return self._chunk().state
        if self.run_id:
            return _runs[self.run_id]
        return default_state()

    def _chunk(self) -> Any:
        return _runs_chunks()[(self.ruffus_name, self.chunk, self.jobs, self.workdir, self.version)]

    @property
    def resources(self) -> dict[str, int]:  # type: ignore[override]
        limit = self.ruffus_task.jobs_limit_value
        if self.chunk >= 0 and limit is not None:
            return {resource_name(self.ruffus_task): 1}
        return {}

    def requires(self) -> list[RuffusTask]:
        if self.chunk >= 0:
            return [c.luigi_task for c in self._chunk().upstream]
        state = self._state()
        return [stage_of(p, state) for p in state.stage_requirements(self.ruffus_task)]

    def output(self) -> Any:
        """Targets of the files, made when asked (see ``targets``): a chunk's per job,
        a stage's as Ruffus hands them to the next task."""
        if self.chunk >= 0:
            return chunk_targets(self._chunk())
        return stage_targets(self.ruffus_task, self._state().planner)

    def complete(self) -> bool:
        """Ruffus' up-to-date rule, not Luigi's "the outputs exist" (which it implies)."""
        if self.chunk >= 0:
            return self._chunk().complete()
        return self._state().stage_done(self.ruffus_task)

    def run(self):  # noqa: ANN201 - a generator of dynamic dependencies
        if self.chunk >= 0:
            self._chunk().run()
            return
        state = self._state()
        if os.getpid() != state.pid:
            raise RuntimeError(
                "Ruffus task %r must be planned in the process that holds its pipeline: run "
                "Luigi with workers=1, or pass worker_scheduler_factory="
                "ruffus_luigi.worker_scheduler_factory() to luigi.build" % self.ruffus_name
            )
        task = self.ruffus_task
        chunks = state.plan_with_early_parents(task)
        while chunks is None:  # must wait for a parent after all
            waiting = [p for p in task._inward if not state.stage_done(p)]
            if waiting:
                yield WithoutPaths([stage_of(p, state) for p in waiting])
            chunks = state.plan_with_early_parents(task)
        if state.shared_scheduler:
            for c in chunks:
                if c.yielded and not c.dispatched:  # luigid resumed this stage: it lists them as done
                    if c.verified:
                        c.done = True  # (by a run sharing the id checked when they were cut)
                    else:
                        c.recheck = True
        pending = [c for c in chunks if not c.complete()]
        stale = [c for c in pending if c.yielded]
        if stale and state.shared_scheduler:
            state.renew_finished(stale, all_of_them=True)  # luigid took them for done
        if pending:
            for c in pending:
                c.yielded = True
            yield WithoutPaths([c.luigi_task for c in pending])
        parent = state.early_parent(task)
        if parent is not None and parent not in state.finished:
            yield WithoutPaths(stage_of(parent, state))  # Ruffus finishes a task after its parents
        state.finish_stage(task)


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


@RuffusTask.event_handler(luigi.Event.PROCESS_FAILURE)
@RuffusTask.event_handler(luigi.Event.TIMEOUT)
def _worker_died(task: RuffusTask, message: str) -> None:
    """Luigi saw a chunk's process die or time out: its jobs fail with Luigi's explanation."""
    if task.chunk >= 0:
        task._chunk().crashed(message)


_chunk_registry: dict[tuple, Any] = {}


def _runs_chunks() -> dict[tuple, Any]:
    return _chunk_registry


def register_chunk(chunk: Any) -> RuffusTask:
    """Make the Luigi instance for a chunk and remember which chunk it stands for."""
    cls = class_for(chunk.task)
    instance = cls(chunk=chunk.index, jobs=chunk.description, workdir=chunk.state.workdir, version=chunk.version)
    _chunk_registry[chunk_key(chunk)] = chunk
    return instance


def chunk_key(chunk: Any) -> tuple:
    """What a chunk's Luigi instance is found by (its parameters)."""
    return (chunk.task._get_display_name(), chunk.index, chunk.description, chunk.state.workdir, chunk.version)


def resource_name(task: Task) -> str:
    """The Luigi resource a ``@jobs_limit`` becomes."""
    return "ruffus_jobs_limit:" + task.semaphore_name


def class_for(task: Task) -> type[RuffusTask]:
    """The Luigi class of a Ruffus task, made once per task name and rebound to the newest task."""
    family = task._get_display_name()
    _tasks[family] = task
    cls = _classes.get(family)
    if cls is None:
        cls = type(
            family,
            (RuffusTask,),
            {
                "ruffus_name": family,
                "__module__": __name__,
                "__doc__": task.func_description or f"Ruffus task {family}",
                "task_namespace": "",
            },
        )
        _classes[family] = cls
    return cls


def stage_of(task: Task, state: RunState | None = None) -> RuffusTask:
    """The Luigi instance standing for a whole Ruffus task (in the given run)."""
    if state is None:
        return class_for(task)()
    return class_for(task)(run_id=state.run_id, workdir=state.workdir)


def register_run(state: RunState) -> None:
    """Hand a run to Luigi: its generated tasks find it by id, its chunks get their Luigi instances here."""
    _runs[state.run_id] = state
    state.use_luigi_tasks(register_chunk)


_default_state: RunState | None = None


def default_state() -> RunState:
    """The plan used when Luigi itself runs a generated class (no ``pipeline_run``)."""
    global _default_state
    if _default_state is None:
        session = prepare(None, None, None, None, [], [])
        incomplete, _ = tasks_to_run(session.planner, session.targets, [], True)
        _default_state = RunState(
            session, incomplete, black_hole_logger, 0, 2, 0, 1, 0, None, False, False, None
        )
        register_run(_default_state)
    return _default_state


def forget_run(state: RunState) -> None:
    _runs.pop(state.run_id, None)
    for key in [k for k, c in _chunk_registry.items() if c.state is state]:
        del _chunk_registry[key]


class RuffusWorker(luigi.worker.Worker):
    """A Luigi worker that plans in the calling process and runs chunks in its N slots."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .slots import SlotPool

        self._slots = SlotPool(self)
        self._only_ours_can_change = False  # (see _handle_next_task)

    def __exit__(self, exc_type: Any, *exc: Any) -> bool:
        """Stop; after Ctrl-C, first give the worker processes a moment to end by themselves.

        They got the SIGINT too, and are cancelling their cluster jobs and recording the
        jobs that finished: Luigi's SIGTERM right away would cut that short. After SIGTERM
        or SIGHUP, which may have reached the driver alone, they are sent SIGTERM first
        (which they handle the same way).
        """
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            for state in list(_runs.values()):
                try:
                    state.request_stop()  # (a worker the signal did not reach starts no other job)
                except OSError:
                    pass
            if issubclass(exc_type, Terminated):
                for process in list(self._running_tasks.values()):
                    if process.use_multiprocessing and process.is_alive():
                        process.terminate()
            deadline = time.monotonic() + INTERRUPT_GRACE
            for process in list(self._running_tasks.values()):
                if process.use_multiprocessing:
                    process.join(max(0.0, deadline - time.monotonic()))
        try:
            return super().__exit__(exc_type, *exc)
        finally:
            self._slots.close()

    def _create_task_process(self, task: luigi.Task):  # noqa: ANN202
        process = super()._create_task_process(task)
        if isinstance(task, RuffusTask) and task.chunk >= 0:
            task._chunk().dispatched = True
            task._state().planner.files_may_change()  # (before any fork: workers inherit it)
        if isinstance(task, RuffusTask) and (
            task.chunk < 0 or task.ruffus_task._run_in_main_process or task._state().in_process
        ):
            process.use_multiprocessing = False
        elif isinstance(task, RuffusTask) and process.use_multiprocessing:
            process = self._slots.process_for(task, process)
        else:
            # About to fork: the collector would otherwise walk (and so copy, page by page)
            # the whole inherited heap in the child. Undone when the run ends (collector.thaw).
            gc.freeze()
        progress.chunk_started(task)
        return process

    def _run_task(self, task_id: str) -> None:
        """Run it; a task run in this process has its result queued already: report it now.

        Luigi would first ask the scheduler for more work, which cannot yet include the
        chunks a stage just yielded (an RPC per stage and per in-process chunk, under luigid).
        """
        super()._run_task(task_id)
        process = self._running_tasks.get(task_id)
        if process is not None and not process.use_multiprocessing:
            self._handle_next_task()

    def _add(self, task: luigi.Task, is_complete: bool):  # noqa: ANN202 - Luigi's generator of dependencies
        """Tell the scheduler of a chunk once: later stages require it again through their chunks.

        Luigi reports every incomplete dependency again on each ``add`` (each chunk a stage
        yields), an RPC apiece under luigid; the worker that runs the chunk reports its end.
        """
        if isinstance(task, RuffusTask) and task.chunk >= 0 and task.task_id in self._scheduled_tasks:
            return iter(())
        return super()._add(task, is_complete)

    def _get_work(self):  # noqa: ANN202 - Luigi's GetWorkResponse
        response = super()._get_work()
        mine = all(t.get("worker") == self._id for t in response.running_tasks or [])
        remote = isinstance(self._scheduler, luigi.rpc.RemoteScheduler)  # (asking a local one is cheap)
        self._only_ours_can_change = remote and response.task_id is None and mine
        return response

    def _handle_next_task(self) -> None:
        """Wait for a task's result; tell the run's progress.

        Luigi waits at most ``wait_interval`` and asks the scheduler for work again. When
        luigid just had none to give and every running task is ours, nothing can change
        there before one of ours ends: wait for that (up to ``IDLE_WAIT``), saving the RPCs.
        """
        if self._only_ours_can_change and self._running_tasks:
            self._only_ours_can_change = False
            deadline = time.monotonic() + IDLE_WAIT
            while (
                self._task_result_queue.empty()
                and time.monotonic() < deadline
                and all(p.is_alive() for p in self._running_tasks.values() if p.use_multiprocessing)
            ):
                time.sleep(0.002)
        running = list(self._running_tasks.items())
        super()._handle_next_task()
        for task_id, process in running:
            if task_id not in self._running_tasks:
                progress.chunk_ended(process.task)
        progress.tick()

    def _keep_alive(self, get_work_response) -> bool:  # noqa: ANN001
        """Wait while another worker of a shared luigid runs a task ours need."""
        return bool(get_work_response.running_tasks) or super()._keep_alive(get_work_response)


class WorkerSchedulerFactory(luigi.interface._WorkerSchedulerFactory):
    """Luigi's factory, with our worker and a local scheduler that does not prune on every request.

    ``resources`` (``@jobs_limit`` values) are sent to whichever scheduler is used,
    so the limits hold across every worker of that scheduler.
    """

    def __init__(self, resources: dict[str, int] | None = None, state: RunState | None = None) -> None:
        self.resources = resources or {}
        self.state = state
        self.worker: RuffusWorker | None = None  # (what it was running when Ctrl-C came: see launch)

    def create_local_scheduler(self) -> luigi.scheduler.Scheduler:
        return luigi.scheduler.Scheduler(prune_on_get_work=False, record_task_history=False)

    def create_remote_scheduler(self, url: str) -> luigi.rpc.RemoteScheduler:
        if self.state is not None:
            self.state.scheduler_address = url
        return luigid_http.RemoteScheduler(url, config.scheduler_timeout())

    def create_worker(self, scheduler: Any, worker_processes: int, assistant: bool = False) -> RuffusWorker:
        for name, amount in self.resources.items():
            scheduler.update_resource(name, amount)
        if self.state is not None:
            self.state.scheduler = scheduler
        self.worker = RuffusWorker(
            scheduler=scheduler, worker_processes=worker_processes, assistant=assistant, **_polling()
        )
        return self.worker


def _polling() -> dict[str, float]:
    """Poll an idle scheduler every 0.1-0.2 s, not Luigi's 1-6 s, unless luigi.cfg says otherwise.

    A stage waiting for its chunks asks again for work: with Luigi's defaults each
    wait between small Ruffus tasks would cost seconds.
    """
    settings = luigi.configuration.get_config()
    return {
        name: value
        for name, value in (("wait_interval", 0.1), ("wait_jitter", 0.1))
        if not settings.has_option("worker", name)
    }
