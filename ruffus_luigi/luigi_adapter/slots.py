"""Persistent worker processes: ``multiprocess=N`` runs every forked job in the same N processes.

Ruffus runs its jobs in a pool of N processes made once per ``pipeline_run``, and scripts
count on it (a connection opened once per process, Ruffus' own test of the pool). Luigi
forks a process per task instead. So the worker forks N *slots* the first time a chunk
must run in its own process, and hands each chunk to a free slot: the chunk's jobs travel
pickled (as Ruffus pickles them for its pool), the slot rebuilds the chunk and runs it with
Luigi's own task-process code, which puts the result on the worker's queue as a forked task
process does. A chunk whose jobs cannot be pickled (a lambda as a parameter) is forked as
before, so what ran before still runs.

Slots are forked from the driver once its first stage is planned; what changes in the
driver later reaches a slot only through a request: the chunk, its jobs, and whether the
chunks it depends on are done.

A slot lives no longer than its driver: the kernel sends it SIGTERM when the driver dies
(``driver.die_with``), which stops the job it runs, and it takes no chunk and starts no job
once the driver is gone (the end of its pipe, or its parent, says so).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import pickle
import sys
import time
from dataclasses import dataclass
from typing import Any

import luigi.worker

from ..execution import driver
from ..execution.chunks import Chunk, PlannedJob
from ..execution.run import RunState
from . import luigi_private, translate

_FORK = multiprocessing.get_context("fork")
FREE = b"free"
ACCEPTED = b"ok"
REFUSED = b"refused"


@dataclass(frozen=True)
class ChunkCopy:
    """A chunk as a slot rebuilds it: its Ruffus task by name, its place in the plan, its jobs.

    ``jobs`` has a tuple per job: ``PlannedJob``'s fields but its task (which the slot has),
    ``(index, params, display, needs_run, vap, inputs_seen, early)``; plain tuples, as a
    named one takes five times as long to pickle. None for a chunk sent only as one the
    chunk run depends on, found done.
    """

    family: str
    index: int
    description: str
    version: str
    forced: bool
    recheck: bool
    done: bool
    jobs: tuple[tuple, ...] | None


@dataclass(frozen=True)
class SlotRequest:
    """What a slot is sent to run a chunk: the chunk, those it depends on (as the driver has them), its run."""

    run_id: str
    chunk: ChunkCopy
    upstream: tuple[ChunkCopy, ...]
    keep_signatures: bool


class SlotPool:
    """A Luigi worker's N slots, forked together on first use and stopped with the worker."""

    def __init__(self, worker: luigi.worker.Worker) -> None:
        self.worker = worker
        self.slots: list[_Slot] = []
        self.tasks: dict[str, Any] = {}  # the Ruffus tasks and runs the slots were forked with
        self.runs: dict[str, Any] = {}

    def process_for(self, task: translate.RuffusTask, luigi_process: luigi.worker.TaskProcess) -> Any:
        """What the worker starts for a chunk: a slot's run, or Luigi's own forked process."""
        if not self.slots:
            self._fork()
        request = self._chunk_request(task.planned_chunk())
        if request is None:
            return luigi_process
        return SlotRun(self, luigi_process, request)

    def _fork(self) -> None:
        gc.freeze()  # the slots would otherwise copy the inherited heap page by page (collector.thaw)
        self.tasks, self.runs = translate.REGISTRY.snapshot()
        self._grow()

    def _grow(self) -> None:
        """As many slots as the worker has processes (luigid can raise that mid-run)."""
        while len(self.slots) < max(1, self.worker.worker_processes):
            self.slots.append(_Slot(self))

    def _chunk_request(self, chunk: Chunk) -> bytes | None:
        """The chunk as a slot rebuilds it, pickled; None when a slot cannot rebuild it."""
        state = chunk.state
        if self.runs.get(state.run_id) is not state:
            return None
        upstream = []
        for u in chunk.upstream:
            done = u.done or state.files.has_outcomes(u)
            upstream.append(self._describe(u, with_jobs=not done, done=done and u.complete()))
        described = self._describe(chunk, with_jobs=True, done=False)
        if described is None or None in upstream:
            return None
        request = SlotRequest(state.run_id, described, tuple(upstream), state.stages.keeps_signatures(chunk.task))
        try:
            return pickle.dumps(request, pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a lambda, an open file...: fork as before
            return None

    def _describe(self, chunk: Chunk, with_jobs: bool, done: bool) -> ChunkCopy | None:
        family = chunk.task.display_name
        if self.tasks.get(family) is not chunk.task:
            return None  # (a task defined after the slots were forked)
        jobs = (
            tuple((j.index, j.params, j.display, j.needs_run, j.vap, j.inputs_seen, j.early) for j in chunk.jobs)
            if with_jobs
            else None
        )
        return ChunkCopy(family, chunk.index, chunk.description, chunk.version, chunk.forced, chunk.recheck, done, jobs)

    def take(self, run: SlotRun) -> _Slot:
        """The free slot used least recently (so jobs spread over all N), once it took the chunk."""
        while True:
            self._grow()
            for i, slot in enumerate(self.slots):
                if not slot.process.is_alive() and not slot.busy:
                    slot.close()
                    self.slots[i] = _Slot(self)  # (died between chunks: kill -9, out of memory)
            free = [s for s in self.slots if s.is_free()]
            if free:
                slot = min(free, key=lambda s: s.last_used)
                if slot.hand(run):
                    return slot
                continue
            busy = [s.conn for s in self.slots] + [s.process.sentinel for s in self.slots]
            multiprocessing.connection.wait(busy, timeout=1.0)

    def close(self) -> None:
        """Stop every slot: idle ones leave at once, busy ones are ended."""
        for slot in self.slots:
            slot.stop()
        for slot in self.slots:
            slot.process.join(5)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(1)
            slot.close()
        self.slots = []
        self.tasks, self.runs = {}, {}  # (Luigi's SIGUSR1 handler keeps the last worker, and so this pool, alive)


class _Slot:
    """One persistent process and the driver's end of its pipe."""

    def __init__(self, pool: SlotPool) -> None:
        ours, theirs = _FORK.Pipe()
        others = [s.conn for s in pool.slots]
        self.process = _FORK.Process(
            target=_serve, args=(pool.worker, theirs, [ours, *others], os.getpid()), name="ruffus-luigi-slot"
        )
        self.process.start()
        theirs.close()
        self.conn = ours
        self.busy: SlotRun | None = None
        self.last_used = 0.0

    def is_free(self) -> bool:
        if self.busy is not None:
            self.busy.is_alive()  # reads the slot's word that it is free, if it came
        return self.busy is None and self.process.is_alive()

    def hand(self, run: SlotRun) -> bool:
        """Send the chunk; True once the slot has rebuilt it (False: it could not, or died)."""
        try:
            self.conn.send_bytes(run.request)
            answer = self.conn.recv_bytes()
        except (EOFError, OSError):
            return False
        self.last_used = time.monotonic()
        if answer != ACCEPTED:
            run.refused = True
            return True
        self.busy = run
        return True

    def finished(self, run: SlotRun) -> bool:
        """Has the slot ended ``run`` (said so, or died)?"""
        if self.busy is not run:
            return True
        try:
            if self.conn.poll():
                self.conn.recv_bytes()
                self.busy = None
                return True
        except (EOFError, OSError):
            pass
        if self.process.is_alive():
            return False
        self.process.join(1)
        run.died_with = self.process.exitcode
        self.busy = None
        return True

    def stop(self) -> None:
        try:
            self.conn.send_bytes(b"")
        except OSError:
            pass
        if self.busy is not None:
            self.process.terminate()

    def close(self) -> None:
        self.conn.close()


class SlotRun:
    """Stands in for Luigi's ``TaskProcess`` while a slot runs the chunk (same attributes)."""

    use_multiprocessing = True

    def __init__(self, pool: SlotPool, luigi_process: luigi.worker.TaskProcess, request: bytes) -> None:
        self.task = luigi_process.task
        self.worker_timeout = luigi_process.worker_timeout
        self.timeout_time = luigi_process.timeout_time
        self.status_reporter = luigi_process.status_reporter
        self.request = request
        self.refused = False
        self.died_with: int | None = None
        self._pool = pool
        self._slot: _Slot | None = None
        self._fallback = luigi_process  # forked instead when a slot cannot rebuild the chunk

    def start(self) -> None:
        self._slot = self._pool.take(self)
        if self.refused:
            self._slot = None
            gc.freeze()
            self._fallback.start()
        else:
            self._fallback = None

    def is_alive(self) -> bool:
        if self._fallback is not None:
            return self._fallback.is_alive()
        return self._slot is not None and not self._slot.finished(self)

    @property
    def exitcode(self) -> int | None:
        if self._fallback is not None:
            return self._fallback.exitcode
        if self.is_alive():
            return None
        if self.died_with is None:
            return 0
        return self.died_with or 1  # (a slot that left while busy failed the chunk, whatever it says)

    @property
    def pid(self) -> int | None:
        if self._fallback is not None:
            return self._fallback.pid
        return self._slot.process.pid if self._slot is not None else None

    def terminate(self) -> None:
        """Luigi's timeout or the worker's exit: end the slot (a new one replaces it)."""
        if self._fallback is not None and self._fallback.pid is None:
            return
        if self._fallback is not None:
            self._fallback.terminate()
        elif self._slot is not None and self.is_alive():
            self._slot.process.terminate()

    def join(self, timeout: float | None = None) -> None:
        if self._fallback is not None and self._fallback.pid is None:
            return  # (interrupted before it started: Ctrl-C while waiting for a free slot)
        if self._fallback is not None:
            self._fallback.join(timeout)
        elif self._slot is not None and self.is_alive():
            self._slot.process.join(timeout)


def _serve(worker: luigi.worker.Worker, conn: Any, driver_ends: list, driver_pid: int) -> None:
    """A slot's life: rebuild each chunk it is sent, run it as Luigi's task process would."""
    for end in driver_ends:  # (so that each slot sees EOF when the driver goes)
        end.close()
    translate.REGISTRY.forget_all_chunks()  # the driver's chunks as they were at the fork: stale
    if not driver.die_with(driver_pid):
        _orphaned()
    try:
        while True:
            try:
                request = conn.recv_bytes()
            except (EOFError, OSError):
                return
            if not request or os.getppid() != driver_pid:
                return
            try:
                task, keys = _install(pickle.loads(request))
            except Exception:  # noqa: BLE001 - the driver forks this chunk instead
                conn.send_bytes(REFUSED)
                continue
            conn.send_bytes(ACCEPTED)
            try:
                process = luigi_private.luigi_task_process(worker, task)
                process.use_multiprocessing = True
                process.run()
            finally:
                translate.REGISTRY.forget_chunks(keys)
            if os.getppid() != driver_pid:
                _orphaned()
            conn.send_bytes(FREE)
    except KeyboardInterrupt:
        if os.getppid() != driver_pid:
            _orphaned()
        sys.exit(1)  # (Ctrl-C reaches the whole process group; the driver reports it)
    except OSError:  # (the driver's end of the pipe closed under a write)
        _orphaned()


def _orphaned() -> None:
    """The driver is gone: leave now, without flushing a result to a queue nobody reads."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(1)


def _install(request: SlotRequest) -> tuple[translate.RuffusTask, list[tuple]]:
    """Register the chunk (and stand-ins for the chunks it depends on) as the driver has them."""
    state: RunState = translate.REGISTRY.runs[request.run_id]

    def rebuild(copy: ChunkCopy, **more: Any) -> Chunk:
        task = translate.REGISTRY.tasks[copy.family]
        planned = [
            PlannedJob(i, p, display, needs, task, vap, seen, early) for i, p, display, needs, vap, seen, early in copy.jobs or ()
        ]
        chunk = Chunk(
            state, task, copy.index, planned, copy.forced, copy.description,
            done=copy.done, recheck=copy.recheck, version=copy.version, **more,
        )
        chunk.identify(translate.register_chunk)  # (its version is the driver's)
        return chunk

    upstream = [rebuild(u) for u in request.upstream]
    chunk = rebuild(request.chunk, upstream=upstream, keep_signatures=request.keep_signatures)
    keys = [translate.chunk_key(c) for c in (chunk, *chunk.upstream)]
    return chunk.luigi_task, keys
