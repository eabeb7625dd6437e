"""The ``local`` back end: each job is a process on this machine (the default back end).

A plain ``pipeline_run`` does not come through here: it runs jobs inside Luigi's
workers. This back end serves ``drmaa_wrapper.run_job`` when ``local`` is chosen,
routed jobs and the conformance kit, with the same contract as a cluster, groups included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import Any

from ..hookspecs import hookimpl
from .base import (
    Backend,
    JobSpec,
    JobState,
    cluster_job_id,
    member_id,
    member_state,
    prepare_group,
    prepare_job,
)
from .options import with_options


class LocalBackend(Backend):
    """Processes started with ``subprocess``; polling is ``Popen.poll`` (no query)."""

    name = "local"
    poll_interval = 0.05
    max_group_size = 1000

    def __init__(self) -> None:
        self._procs: dict[str, subprocess.Popen] = {}
        self._members: dict[str, JobSpec] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def submit(self, specs: list[JobSpec]) -> list[str]:
        return [self._start(spec, prepare_job(spec)) for spec in specs]

    def submit_group(self, specs: list[JobSpec]) -> list[str]:
        group = prepare_group(specs)
        job_id = self._start(group, group.script_path)
        members = [member_id(job_id, n) for n in range(len(specs))]
        with self._lock:
            self._members.update(zip(members, specs, strict=True))
        return members

    def _start(self, spec: JobSpec, script: str) -> str:
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
        return job_id

    def poll(self, ids: list[str]) -> dict[str, JobState]:
        states = {}
        with self._lock:
            for job_id in ids:
                proc = self._procs.get(cluster_job_id(job_id))
                if proc is None:
                    state = JobState.LOST
                else:
                    rc = proc.poll()
                    state = JobState.RUNNING if rc is None else JobState.SUCCEEDED if rc == 0 else JobState.FAILED
                member = self._members.get(job_id)
                states[job_id] = state if member is None else member_state(state, member)
        return states

    def cancel(self, ids: list[str]) -> None:
        with self._lock:
            procs = [self._procs[c] for c in {cluster_job_id(i) for i in ids} if c in self._procs]
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
