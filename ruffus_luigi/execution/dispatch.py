"""Run JobSpecs through a back end: N in flight, one poller thread, lost jobs resubmitted.

However many jobs are queued, a ``Dispatcher`` uses one thread and calls the back
end's ``poll`` once per cycle for every job in flight (never a process or a status
query per job). Several callers (chunks, ``drmaa_wrapper.run_job`` threads) share a
process's dispatcher for a back end through ``shared``. A job's result comes from the
exit code its wrapper wrote beside its logs whenever that file exists, because the
scheduler's own answer may be gone (or wrong) by the time we ask.

Groups: given ``group_size`` above 1 and a back end whose ``max_group_size`` allows it,
Python jobs of one call with the same resources go out several to a cluster job
(``Backend.submit_group``); ``max_in_flight`` then counts cluster jobs. Each job of a group
keeps its own id, state, result and lost-job resubmission (a lost one goes out again,
with other waiting jobs or alone).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..backends.base import Backend, JobResult, JobSpec, JobState, log_tail, read_exit_code
from . import submitted_jobs

log = logging.getLogger("ruffus_luigi.dispatch")

MAX_POLL_FAILURES = 5
"""Consecutive failed ``poll`` calls after which the jobs in flight are failed."""


@dataclass(eq=False)
class _Unit:
    """One cluster job of a batch in flight: one job, or a group; ``left`` of its jobs not settled."""

    left: int


@dataclass(eq=False)
class _Job:
    batch: _Batch
    index: int
    spec: JobSpec
    attempts: int = 0
    job_id: str = ""
    started: bool = False
    ended_at: float | None = None  # back end says finished, exit code file not seen yet
    unit: _Unit | None = None  # the cluster job it is in, while in flight


@dataclass(eq=False)
class _Batch:
    """The jobs of one ``run`` call."""

    limit: int | None
    stop: Callable[[], bool] | None
    on_result: Callable[[JobResult], None] | None
    group_size: int = 1
    waiting: deque[_Job] = field(default_factory=deque)
    in_flight: int = 0  # cluster jobs
    results: list[JobResult] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def free_slots(self) -> int:
        return len(self.waiting) if self.limit is None else max(0, self.limit - self.in_flight)


class Dispatcher:
    """One back end's jobs in flight, served by one poller thread.

    :param backend: the back end (its calls are serialised, so it need not be thread-safe)
    :param hook: pluggy hook relay for the job event hooks, or None
    :param lost_retries: resubmissions of a job reported lost that left no exit code
        (each lost copy is cancelled first, so it cannot run alongside the next)
    :param exit_file_grace: seconds to wait for the exit code file of a job the back end
        reports finished (shared file systems show files late)
    """

    def __init__(
        self,
        backend: Backend,
        hook: Any = None,
        lost_retries: int = 2,
        poll_interval: float | None = None,
        exit_file_grace: float = 10.0,
    ) -> None:
        self.backend = backend
        self.name = backend.name or type(backend).__name__
        self.hook = hook
        self.lost_retries = lost_retries
        self.poll_interval = backend.poll_interval if poll_interval is None else poll_interval
        self.exit_file_grace = exit_file_grace
        self.polls = 0  # poll calls so far (one per cycle with jobs in flight)
        self.cycles = 0
        self._cond = threading.Condition()
        self._backend_lock = threading.Lock()
        self._batches: list[_Batch] = []
        self._tracked: dict[str, _Job] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self._poll_failures = 0

    # -- callers ------------------------------------------------------------------
    def run(
        self,
        specs: list[JobSpec],
        max_in_flight: int | None = None,
        stop: Callable[[], bool] | None = None,
        on_result: Callable[[JobResult], None] | None = None,
        group_size: int = 1,
    ) -> list[JobResult]:
        """Run the jobs, at most ``max_in_flight`` cluster jobs at once, and wait for them.

        ``stop()`` true: submit no more (jobs in flight finish). ``on_result`` is called
        (in the poller thread) as each job ends. Results come in ``specs`` order; jobs
        never submitted because of ``stop`` have none. Ctrl-C cancels this call's jobs.
        ``group_size``: the most Python jobs one cluster job may run (see the module docstring).
        """
        if not specs:
            return []
        limit = max_in_flight if max_in_flight and max_in_flight > 0 else None
        batch = _Batch(limit, stop, on_result, max(1, min(group_size, self.backend.max_group_size)))
        batch.waiting.extend(_Job(batch, i, s) for i, s in enumerate(specs))
        with self._cond:
            if self._closed:
                raise RuntimeError("dispatcher for back end %r is closed" % self.name)
            self._batches.append(batch)
            self._start_thread()
            self._cond.notify_all()
        try:
            while not batch.done.wait(0.5):
                pass
        except BaseException:
            self._cancel(batch)
            raise
        if batch.error is not None:
            raise batch.error
        return sorted(batch.results, key=lambda r: r.index)

    def close(self) -> None:
        """Stop the poller once its jobs are done and close the back end."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        with self._backend_lock:
            self.backend.close()

    def _cancel(self, batch: _Batch) -> None:
        """Cancel the batch's jobs in flight; those that wrote their exit code keep their result
        (a job of a group may have ended well before the next poll would have said so)."""
        with self._cond:
            batch.waiting.clear()
            jobs = [j for j in self._tracked.values() if j.batch is batch]
            for job in jobs:
                del self._tracked[job.job_id]
            if batch in self._batches:
                self._batches.remove(batch)
        ids = []
        for job in jobs:
            code = read_exit_code(job.spec.exitcode_path)
            if code is None:
                ids.append(job.job_id)
            else:
                self._finish(job, JobState.SUCCEEDED if code == 0 else JobState.FAILED, code, "")
        if ids:
            with self._backend_lock:
                self.backend.cancel(ids)
            submitted_jobs.ended(self.name, ids)

    def _start_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="ruffus-luigi poller: " + self.name, daemon=True)
            self._thread.start()

    # -- the poller ------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._batches and not self._closed:
                    self._cond.wait()
                if not self._batches:
                    return
            try:
                self._cycle()
            except BaseException as e:  # a bug here must not leave callers waiting forever
                log.exception("poller of back end %r failed", self.name)
                with self._cond:
                    for batch in self._batches:
                        batch.error = e
                        batch.done.set()
                    self._batches.clear()
                    self._tracked.clear()
                continue
            with self._cond:
                if self._batches:
                    self._cond.wait(self.poll_interval)

    def _cycle(self) -> None:
        self.cycles += 1
        self._submit_waiting()
        with self._cond:
            tracked = dict(self._tracked)
        if tracked:
            states = self._poll(list(tracked))
            if states is not None:
                lost: list[str] = []
                for job_id, job in tracked.items():
                    self._update(job, states.get(job_id, JobState.LOST), lost)
                self._cancel_lost(lost)
        with self._cond:
            for batch in [b for b in self._batches if not b.waiting and b.in_flight == 0]:
                self._batches.remove(batch)
                batch.done.set()

    def _submit_waiting(self) -> None:
        singles: list[_Job] = []
        groups: list[list[_Job]] = []
        with self._cond:
            for batch in self._batches:
                if batch.waiting and batch.stop is not None and batch.stop():
                    batch.waiting.clear()
                for unit in _units(batch):
                    if len(unit) == 1:
                        singles += unit
                    else:
                        groups.append(unit)
        if singles:
            self._submit(singles, self.backend.submit)
        for group in groups:
            self._submit(group, self.backend.submit_group)

    def _submit(self, todo: list[_Job], submit: Callable[[list[JobSpec]], list[str]]) -> None:
        try:
            with self._backend_lock:
                ids = submit([j.spec for j in todo])
            if len(ids) != len(todo):
                raise RuntimeError("back end %r returned %d ids for %d jobs" % (self.name, len(ids), len(todo)))
        except Exception as e:
            for job in todo:
                job.attempts += 1
                self._finish(job, JobState.FAILED, None, "submission to back end %r failed: %s" % (self.name, e))
            return
        submitted_jobs.submitted(self.name, ids)  # (before anything can stop this run: see submitted_jobs)
        with self._cond:
            for job, job_id in zip(todo, ids, strict=True):
                job.attempts += 1
                job.job_id = job_id
                job.started = False
                job.ended_at = None
                self._tracked[job_id] = job
        for job in todo:
            self._event("ruffus_luigi_job_submitted", job)

    def _poll(self, ids: list[str]) -> dict[str, JobState] | None:
        try:
            with self._backend_lock:
                states = self.backend.poll(ids)
            self.polls += 1
            self._poll_failures = 0
            return states
        except Exception as e:
            self._poll_failures += 1
            log.warning("back end %r: poll failed (%d in a row): %s", self.name, self._poll_failures, e)
            if self._poll_failures >= MAX_POLL_FAILURES:
                for job_id in ids:
                    job = self._untrack(job_id)
                    if job is not None:
                        self._finish(job, JobState.FAILED, None, "back end %r cannot be polled: %s" % (self.name, e))
            return None

    def _update(self, job: _Job, state: JobState, lost: list[str]) -> None:
        """Act on one job's state; the id of a lost job goes to ``lost``, to be cancelled."""
        if state is JobState.PENDING:
            return
        if state is JobState.RUNNING:
            if not job.started:
                job.started = True
                self._event("ruffus_luigi_job_started", job)
            return
        code = read_exit_code(job.spec.exitcode_path)
        if code is not None:
            self._untrack(job.job_id)
            if not job.started:  # too short to be seen running, but it did run
                job.started = True
                self._event("ruffus_luigi_job_started", job)
            self._finish(job, JobState.SUCCEEDED if code == 0 else JobState.FAILED, code, "")
            return
        if state is JobState.LOST:
            self._untrack(job.job_id)
            lost.append(job.job_id)
            if job.attempts <= self.lost_retries:
                log.warning("back end %r lost job %s (%s): resubmitting", self.name, job.spec.name, job.job_id)
                with self._cond:
                    _leave(job)
                    job.batch.waiting.appendleft(job)
            else:
                self._finish(job, JobState.FAILED, None, "lost by back end %r %d times" % (self.name, job.attempts))
            return
        now = time.monotonic()
        if job.ended_at is None:
            job.ended_at = now
        if now - job.ended_at < self.exit_file_grace:
            return  # the file may not be visible here yet
        self._untrack(job.job_id)
        self._finish(
            job,
            JobState.FAILED,
            None,
            "back end %r reports %s but the job wrote no exit code (killed, or never started)" % (self.name, state.value),
        )

    def _cancel_lost(self, ids: list[str]) -> None:
        """Cancel lost jobs, in one call, before the next cycle resubmits them.

        A back end may report a job lost that still runs (it merely lost track of it);
        cancelling that first copy keeps the job from running twice. Errors are logged
        and ignored: a job that is really gone cannot be cancelled.
        """
        if not ids:
            return
        try:
            with self._backend_lock:
                self.backend.cancel(ids)
            submitted_jobs.ended(self.name, ids)
        except Exception as e:
            log.warning("back end %r: cancelling lost job(s) %s failed (ignored): %s", self.name, ", ".join(ids), e)

    def _untrack(self, job_id: str) -> _Job | None:
        with self._cond:
            return self._tracked.pop(job_id, None)

    def _finish(self, job: _Job, state: JobState, code: int | None, message: str) -> None:
        tail = "" if state is JobState.SUCCEEDED else log_tail(job.spec)
        result = JobResult(job.index, job.spec, job.job_id, state, code, job.attempts, message, tail)
        if job.job_id:
            submitted_jobs.ended(self.name, [job.job_id])
        with self._cond:
            _leave(job)
            job.batch.results.append(result)
        self._event("ruffus_luigi_job_finished", job, result=result)
        if job.batch.on_result is not None:
            try:
                job.batch.on_result(result)
            except Exception:
                log.exception("on_result callback failed for job %s", job.spec.name)

    def _event(self, name: str, job: _Job, **extra: Any) -> None:
        if self.hook is None:
            return
        try:
            getattr(self.hook, name)(backend=self.name, job=job.spec, job_id=job.job_id, **extra)
        except Exception:
            log.exception("plugin hook %s failed", name)


def _units(batch: _Batch) -> list[list[_Job]]:
    """Take the batch's next cluster jobs off its waiting list (caller holds the lock): one job
    each, or groups of up to ``group_size`` Python jobs with the same resources. Groups are
    as even as the free slots allow (19 jobs and 4 free slots: 5, 5, 5, 4)."""
    slots = batch.free_slots()
    if not batch.waiting or slots <= 0:
        return []
    size = batch.group_size
    if batch.limit is not None:
        size = max(1, min(size, -(-len(batch.waiting) // slots)))
    units: list[list[_Job]] = []
    while batch.waiting and len(units) < slots:
        unit = [batch.waiting.popleft()]
        first = unit[0].spec
        while (
            len(unit) < size
            and batch.waiting
            and first.python_job is not None
            and batch.waiting[0].spec.python_job is not None
            and batch.waiting[0].spec.resources == first.resources
        ):
            unit.append(batch.waiting.popleft())
        shared = _Unit(len(unit))
        for job in unit:
            job.unit = shared
        units.append(unit)
        batch.in_flight += 1
    return units


def _leave(job: _Job) -> None:
    """The job is settled or goes back to waiting: its cluster job stops counting once all its jobs have."""
    unit, job.unit = job.unit, None
    if unit is not None:
        unit.left -= 1
        if unit.left == 0:
            job.batch.in_flight -= 1


_shared: dict[tuple[int, str], Dispatcher] = {}
_shared_lock = threading.Lock()


def shared(key: str, make_backend: Callable[[], Backend], **options: Any) -> Dispatcher:
    """This process's dispatcher for ``key`` (a back end name), made on first use.

    Keyed by process too: a forked Luigi worker gets its own poller thread.
    """
    pid = os.getpid()
    with _shared_lock:
        dispatcher = _shared.get((pid, key))
        if dispatcher is None:
            dispatcher = Dispatcher(make_backend(), **options)
            _shared[(pid, key)] = dispatcher
        return dispatcher
