"""The ``local`` back end: each job is a process on this machine (the default back end).

A plain ``pipeline_run`` does not come through here: it runs jobs inside Luigi's
workers. This back end serves ``drmaa_wrapper.run_job`` when ``local`` is chosen,
routed jobs and the conformance kit, with the same contract as a cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import Any

from ..hookspecs import hookimpl
from .base import Backend, JobSpec, JobState, prepare_job
from .options import with_options


class LocalBackend(Backend):
    """Processes started with ``subprocess``; polling is ``Popen.poll`` (no query)."""

    name = "local"
    poll_interval = 0.05

    def __init__(self) -> None:
        self._procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def submit(self, specs: list[JobSpec]) -> list[str]:
        ids = []
        for spec in specs:
            script = prepare_job(spec)
            with open(spec.stdout_path, "wb") as out, open(spec.stderr_path, "wb") as err:
                proc = subprocess.Popen(
                    ["/bin/sh", script],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    cwd=spec.workdir if os.path.isdir(spec.workdir) else None,
                    start_new_session=True,  # cancel reaches the job's children too
                )
            with self._lock:
                self._counter += 1
                job_id = "local-%d-%d" % (proc.pid, self._counter)
                self._procs[job_id] = proc
            ids.append(job_id)
        return ids

    def poll(self, ids: list[str]) -> dict[str, JobState]:
        states = {}
        with self._lock:
            for job_id in ids:
                proc = self._procs.get(job_id)
                if proc is None:
                    states[job_id] = JobState.LOST
                    continue
                rc = proc.poll()
                if rc is None:
                    states[job_id] = JobState.RUNNING
                else:
                    states[job_id] = JobState.SUCCEEDED if rc == 0 else JobState.FAILED
        return states

    def cancel(self, ids: list[str]) -> None:
        with self._lock:
            procs = [self._procs[i] for i in ids if i in self._procs]
        for proc in procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def close(self) -> None:
        with self._lock:
            running = [i for i, p in self._procs.items() if p.poll() is None]
        self.cancel(running)


@dataclass
class LocalOptions:
    """The local back end takes no options: any key in ``[ruffus_luigi.backend.local]`` is an error."""


@with_options(LocalOptions)
def _make_local() -> LocalBackend:
    return LocalBackend()


@hookimpl
def ruffus_luigi_register_backends() -> dict[str, Any]:
    """``local``: jobs as processes on this machine."""
    return {"local": _make_local}
