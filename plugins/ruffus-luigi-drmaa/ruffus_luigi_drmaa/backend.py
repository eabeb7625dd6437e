"""The ``drmaa`` back end: Grid Engine (or any DRMAA 1 library) through the ``drmaa`` package.

Importing this module loads the C library; ``plugin`` imports it only when the back end
is chosen. The DRMAA session is opened on first use (a submit or a poll), not when the
back end is built: ruffus-luigi builds the chosen back end once in the driver before any
job, to check it can run here, and a session opened there would be shared by the forked
workers. DRMAA 1 has no bulk status call, so ``poll`` reads finished jobs
from the library's own finished-job list (``wait(ANY, NO_WAIT)``, no round trip to the
master), asks the master about ONE job per call (round robin, to notice jobs it lost)
and takes a job with a stdout file as running (the execution host creates it).

Groups (``submit_group``): one DRMAA job running the Python jobs one after another
(``prepare_group``); each job's id is ``<Grid Engine job id>+<n>`` and its state comes
from the Grid Engine job's and its own exit code file (``member_state``). Terminating
any of them terminates the Grid Engine job.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

import drmaa

from ruffus_luigi.backends.base import (
    Backend,
    BackendUnavailable,
    JobSpec,
    JobState,
    Resources,
    cluster_job_id,
    member_id,
    member_state,
    prepare_group,
    prepare_job,
    read_exit_code,
)

_lock = threading.RLock()
_session: dict[str, Any] = {}  # the process's DRMAA session ("pid", "session")
_finished: dict[str, JobState] = {}  # reaped from the session by any back end in this process


def process_session(session: drmaa.Session | None = None) -> drmaa.Session:
    """The process's DRMAA session (DRMAA 1 allows one per process): the caller's, or ours."""
    if session is not None:
        return session
    with _lock:
        if _session.get("pid") != os.getpid():
            s = drmaa.Session()
            try:
                s.initialize()
                atexit.register(_exit_session, s)
            except drmaa.errors.AlreadyActiveSessionException:
                pass  # the script made one: every Session object talks to it
            _session.update(pid=os.getpid(), session=s)
        return _session["session"]


def _exit_session(session: drmaa.Session) -> None:
    try:
        session.exit()
    except drmaa.errors.DrmaaException:
        pass


def native_specification(
    resources: Resources,
    parallel_environment: str = "smp",
    memory_resource: str = "h_vmem",
    extra: str = "",
    export_environment: bool = False,
) -> str:
    """Grid Engine options for the resources: ``-q``, ``-pe``, ``-l <memory>``, ``-l h_rt``, native.

    Memory is per job; Grid Engine counts it per slot, so it is divided by the threads.
    ``export_environment`` adds ``-V`` (the submitter's environment, as a forked worker has it).
    """
    parts = ["-b y"] + (["-V"] if export_environment else [])
    threads = resources.threads or 1
    if resources.queue:
        parts.append("-q %s" % resources.queue)
    if threads > 1:
        parts.append("-pe %s %d" % (parallel_environment, threads))
    mb = resources.memory_mb()
    if mb and memory_resource:
        parts.append("-l %s=%dM" % (memory_resource, -(-mb // threads)))
    if resources.walltime:
        parts.append("-l h_rt=%s" % resources.walltime_hms())
    for more in (extra, resources.native):
        if more:
            parts.append(more)
    return " ".join(parts)


class DrmaaBackend(Backend):
    """Jobs through DRMAA 1; see the module docstring for how one poll stays one query."""

    name = "drmaa"
    max_group_size = 1000

    def __init__(
        self,
        session: drmaa.Session | None = None,
        parallel_environment: str = "smp",
        memory_resource: str = "h_vmem",
        native: str = "",
        poll_interval: float | str = 1.0,
    ) -> None:
        self._given_session = session
        self.parallel_environment = parallel_environment
        self.memory_resource = memory_resource
        self.native = native
        self.poll_interval = float(poll_interval)
        self._specs: dict[str, JobSpec] = {}
        self._next_probe = 0
        self.polls = 0  # poll calls, and the jobStatus queries they made: tests count them
        self.status_queries = 0

    @property
    def session(self) -> drmaa.Session:
        """The caller's session, or the process's, opened now if need be."""
        try:
            return process_session(self._given_session)
        except drmaa.errors.DrmaaException as e:
            raise BackendUnavailable("back end 'drmaa' cannot open a DRMAA session: %s" % e) from e

    def submit(self, specs: list[JobSpec]) -> list[str]:
        ids = []
        for spec in specs:
            job_id = self._run_job(spec, prepare_job(spec))
            self._specs[job_id] = spec
            ids.append(job_id)
        return ids

    def submit_group(self, specs: list[JobSpec]) -> list[str]:
        group = prepare_group(specs)
        job_id = self._run_job(group, group.script_path, export_environment=True)
        self._specs[job_id] = group
        members = [member_id(job_id, n) for n in range(len(specs))]
        self._specs.update(zip(members, specs, strict=True))
        return members

    def _run_job(self, spec: JobSpec, script: str, export_environment: bool | None = None) -> str:
        """Submit one job running ``script``; its Grid Engine id."""
        if export_environment is None:
            export_environment = spec.python_job is not None  # Ruffus' jobs see our environment
        with _lock:
            jt = self.session.createJobTemplate()
            try:
                jt.remoteCommand = "/bin/sh"
                jt.args = [script]
                jt.jobName = spec.name
                jt.workingDirectory = spec.workdir
                jt.outputPath = ":" + spec.stdout_path
                jt.errorPath = ":" + spec.stderr_path
                jt.joinFiles = False
                jt.nativeSpecification = native_specification(
                    spec.resources,
                    self.parallel_environment,
                    self.memory_resource,
                    self.native,
                    export_environment=export_environment,
                )
                return str(self.session.runJob(jt))
            finally:
                self.session.deleteJobTemplate(jt)

    def poll(self, ids: list[str]) -> dict[str, JobState]:
        """The Grid Engine jobs' states (a group's members share theirs), then each member's."""
        states: dict[str, JobState] = {}
        ask: dict[str, list[str]] = {}
        for job_id in ids:
            sge_id = cluster_job_id(job_id)
            spec = self._specs.get(job_id) if sge_id != job_id else None
            code = None if spec is None else read_exit_code(spec.exitcode_path)
            if code is not None:  # a member done: its group need not be asked about
                states[job_id] = JobState.SUCCEEDED if code == 0 else JobState.FAILED
            else:
                ask.setdefault(sge_id, []).append(job_id)
        sge_states = self._sge_states(list(ask))
        for sge_id, asked in ask.items():
            for job_id in asked:
                own = sge_states[sge_id]
                states[job_id] = own if job_id == sge_id else member_state(own, self._specs.get(job_id))
        return states

    def _sge_states(self, ids: list[str]) -> dict[str, JobState]:
        if not ids:
            return {}
        with _lock:
            self.polls += 1
            self._reap()
            states: dict[str, JobState] = {}
            unknown = [i for i in ids if i not in _finished and i not in self._specs]
            live = [i for i in ids if i not in _finished and i in self._specs]
            # ids submitted elsewhere must be asked about; of ours, one per call
            probes = unknown if unknown else [live[self._next_probe % len(live)]] if live else []
            self._next_probe += 1
            for job_id in probes:
                states[job_id] = self._probe(job_id)
            for job_id in ids:
                if job_id in _finished:
                    states[job_id] = _finished[job_id]
                elif job_id not in states:
                    spec = self._specs[job_id]
                    states[job_id] = JobState.RUNNING if os.path.exists(spec.stdout_path) else JobState.PENDING
            return states

    def _reap(self) -> None:
        """Move every job the library knows has ended into ``_finished`` (no master round trip)."""
        while True:
            try:
                info = self.session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, drmaa.Session.TIMEOUT_NO_WAIT)
            except (drmaa.errors.ExitTimeoutException, drmaa.errors.InvalidJobException):
                return
            ok = info.hasExited and not info.wasAborted and int(info.exitStatus) == 0
            _finished[str(info.jobId)] = JobState.SUCCEEDED if ok else JobState.FAILED

    def _probe(self, job_id: str) -> JobState:
        self.status_queries += 1
        try:
            status = self.session.jobStatus(job_id)
        except drmaa.errors.InvalidJobException:
            self._reap()  # it may have ended just now
            return _finished.get(job_id, JobState.LOST)
        if status == drmaa.JobState.RUNNING:
            return JobState.RUNNING
        if status in (drmaa.JobState.DONE, drmaa.JobState.FAILED):
            self._reap()
            return _finished.get(job_id, JobState.RUNNING)
        return JobState.PENDING

    def cancel(self, ids: list[str]) -> None:
        with _lock:
            for job_id in sorted({cluster_job_id(i) for i in ids}):
                try:
                    self.session.control(job_id, drmaa.JobControlAction.TERMINATE)
                except drmaa.errors.DrmaaException:
                    pass  # already gone
