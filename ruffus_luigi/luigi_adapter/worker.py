"""The Luigi worker that runs a Ruffus pipeline, and the factory that gives it to ``luigi.build``.

``RuffusWorker`` plans stages in the calling process (the driver), hands chunks to its N
slots (``slots``), waits for its own tasks without asking the scheduler in between, and on
Ctrl-C gives its worker processes a moment to end by themselves. ``WorkerSchedulerFactory``
makes it, with the local scheduler or a luigid client (``luigid_http`` where it can).
"""

from __future__ import annotations

import gc
import time
from typing import Any

import luigi
import luigi.rpc
import luigi.scheduler

from ..execution import driver, progress
from ..execution.driver import Terminated
from ..settings import config
from . import luigi_private, luigid_http, luigid_view, translate
from .slots import SlotPool

IDLE_WAIT = 0.5
"""Seconds a worker waits for its own tasks before asking a scheduler that had no work again."""
INTERRUPT_GRACE = 5.0
"""Seconds a worker process has after Ctrl-C to end by itself before it is terminated."""


class RuffusWorker(luigi_private.Worker):
    """A Luigi worker that plans in the calling process and runs chunks in its N slots."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
            for state in translate.REGISTRY.all_runs():
                try:
                    state.files.request_stop()  # (a worker the signal did not reach starts no other job)
                except OSError:
                    pass
            if issubclass(exc_type, Terminated):
                for process in list(self.running_processes.values()):
                    if process.use_multiprocessing and process.is_alive():
                        process.terminate()
            deadline = time.monotonic() + INTERRUPT_GRACE
            for process in list(self.running_processes.values()):
                if process.use_multiprocessing:
                    process.join(max(0.0, deadline - time.monotonic()))
        try:
            return super().__exit__(exc_type, *exc)
        finally:
            self._slots.close()

    def task_process(self, task: luigi.Task) -> Any:
        process = super().task_process(task)
        if isinstance(task, translate.RuffusTask) and task.chunk >= 0:
            task.planned_chunk().started()
            task.run_state().planner.files_may_change()  # (before any fork: workers inherit it)
        if isinstance(task, translate.RuffusTask) and (
            task.chunk < 0 or task.ruffus_task.runs_in_main_process or task.run_state().options.in_process
        ):
            process.use_multiprocessing = False
        elif isinstance(task, translate.RuffusTask) and process.use_multiprocessing:
            process = self._slots.process_for(task, process)
        else:
            # About to fork: the collector would otherwise walk (and so copy, page by page)
            # the whole inherited heap in the child. Undone when the run ends (collector.thaw).
            gc.freeze()
        progress.chunk_started(task)
        return process

    def run_task(self, task_id: str) -> None:
        """Run it; a task run in this process has its result queued already: report it now.

        Luigi would first ask the scheduler for more work, which cannot yet include the
        chunks a stage just yielded (an RPC per stage and per in-process chunk, under luigid).
        """
        super().run_task(task_id)
        process = self.running_processes.get(task_id)
        if process is not None and not process.use_multiprocessing:
            self.handle_next_task()

    def add_to_scheduler(self, task: luigi.Task, is_complete: bool) -> Any:
        """Tell the scheduler of a chunk once: later stages require it again through their chunks.

        Luigi reports every incomplete dependency again on each ``add`` (each chunk a stage
        yields), an RPC apiece under luigid; the worker that runs the chunk reports its end.
        """
        if isinstance(task, translate.RuffusTask) and task.chunk >= 0 and task.task_id in self.scheduled_tasks:
            return iter(())
        return super().add_to_scheduler(task, is_complete)

    def get_work(self) -> Any:
        response = super().get_work()
        if response.task_id is None and self._take_over_from_ended_runs(response.running_tasks or []):
            response = super().get_work()
        mine = all(t.get("worker") == self.worker_id for t in response.running_tasks or [])
        remote = isinstance(self.luigi_scheduler, luigi.rpc.RemoteScheduler)  # (asking a local one is cheap)
        self._only_ours_can_change = remote and response.task_id is None and mine
        return response

    def _take_over_from_ended_runs(self, running: list[dict]) -> bool:
        """Make pending again our chunks that luigid says a run that has ended still runs; True if any.

        luigid keeps a task RUNNING under the worker that took it until that worker has been
        silent for ``worker_disconnect_delay`` (60 s), then marks it FAILED: a run killed
        (SIGKILL; Ctrl-C too, Luigi does not report the tasks it drops) leaves its chunks
        so, and the next run's chunks have the same ids. A chunk is taken over when the
        driver running it was on this host, as this user, and has ended, and no process
        claims its jobs (an orphaned worker still finishing one holds its claim: it is
        taken over once that ends). Whoever runs it then claims the jobs, rechecks them on
        disk and runs only those still out of date, so a chunk handed out twice (two runs
        taking it over at the same instant, one making it pending again just after the
        other was given it) still runs no job twice.
        """
        me = self.worker_info
        took = False
        for entry in running:
            task = self.scheduled_tasks.get(entry.get("task_id"))
            if not isinstance(task, translate.RuffusTask) or task.chunk < 0 or entry.get("worker") == self.worker_id:
                continue
            if (entry.get("host"), entry.get("username")) != (me.get("host"), me.get("username")):
                continue  # (nothing here can tell whether another host's or user's driver has ended)
            pid = entry.get("pid")
            if not isinstance(pid, int) or not driver.ended(pid):
                continue
            chunk = task.planned_chunk()
            claims = chunk.state.executor.claims
            if claims is None or claims.held(chunk.claim_keys(chunk.to_run())):
                continue
            self._make_pending(task)
            took = True
        return took

    def _make_pending(self, task: translate.RuffusTask) -> None:
        """Make a task that luigid lists as run by another worker pending, for any worker to take.

        luigid lets a worker other than the one running a task change its status only while
        adding dependencies (``new_deps``): the task is added again with those it has. One
        with none depends on itself for the moment between two calls (nobody is given it).
        """
        deps = [d.task_id for d in luigi.task.flatten(task.requires())]
        pending = luigi.scheduler.PENDING
        self.luigi_scheduler.add_task(
            worker=self.worker_id, task_id=task.task_id, status=pending, deps=deps, new_deps=deps or [task.task_id]
        )
        if not deps:
            self.luigi_scheduler.add_task(worker=self.worker_id, task_id=task.task_id, status=pending, deps=[])

    def handle_next_task(self) -> None:
        """Wait for a task's result; tell the run's progress.

        Luigi waits at most ``wait_interval`` and asks the scheduler for work again. When
        luigid just had none to give and every running task is ours, nothing can change
        there before one of ours ends: wait for that (up to ``IDLE_WAIT``), saving the RPCs.
        """
        if self._only_ours_can_change and self.running_processes:
            self._only_ours_can_change = False
            deadline = time.monotonic() + IDLE_WAIT
            while (
                not self.result_waiting()
                and time.monotonic() < deadline
                and all(p.is_alive() for p in self.running_processes.values() if p.use_multiprocessing)
            ):
                time.sleep(0.002)
        running = list(self.running_processes.items())
        super().handle_next_task()
        for task_id, process in running:
            if task_id not in self.running_processes:
                progress.chunk_ended(process.task)
                luigid_view.chunk_ended(process.task)
        progress.tick()
        luigid_view.tick(self.worker_id)

    def keep_alive(self, get_work_response: Any) -> bool:
        """Wait while another worker of a shared luigid runs a task ours need."""
        return bool(get_work_response.running_tasks) or super().keep_alive(get_work_response)


class WorkerSchedulerFactory(luigi_private.WorkerSchedulerFactoryBase):
    """Luigi's factory, with our worker and a local scheduler that does not prune on every request.

    ``resources`` (``@jobs_limit`` values) are sent to whichever scheduler is used,
    so the limits hold across every worker of that scheduler. ``scheduler_timeout``: the
    run's (``RunOptions``); None reads the setting (a factory given to plain ``luigi.build``).
    """

    def __init__(self, resources: dict[str, int] | None = None, scheduler_timeout: float | None = None) -> None:
        self.resources = resources or {}
        self.scheduler_timeout = scheduler_timeout
        self.url = ""  # the luigid's, once Luigi asked for a client to it (for messages)
        self.scheduler: Any = None  # the scheduler Luigi made the worker with
        self.worker: RuffusWorker | None = None  # (what it was running when Ctrl-C came: see launch)

    def create_local_scheduler(self) -> luigi.scheduler.Scheduler:
        return luigi.scheduler.Scheduler(prune_on_get_work=False, record_task_history=False)

    def create_remote_scheduler(self, url: str) -> luigid_http.RemoteScheduler:
        self.url = url
        timeout = config.scheduler_timeout() if self.scheduler_timeout is None else self.scheduler_timeout
        return luigid_http.RemoteScheduler(url, timeout)

    def done_tasks(self, family: str) -> Any:
        """The scheduler's DONE tasks of a Luigi task family (raises when it cannot be asked)."""
        return self.scheduler.task_list(status="DONE", search=family, limit=False)

    def create_worker(self, scheduler: Any, worker_processes: int, assistant: bool = False) -> RuffusWorker:
        for name, amount in self.resources.items():
            scheduler.update_resource(name, amount)
        self.scheduler = scheduler
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
