"""The ``example`` back end: each job a process on this machine, driven like a cluster's jobs.

A back end never waits for a job. ruffus-luigi's dispatcher calls ``submit`` with every
job it wants started, ``poll`` once per cycle with every job in flight, and ``cancel``
with the jobs to stop; it resubmits jobs reported lost and takes each job's result from
the exit code file its wrapper script writes. To drive a real scheduler, replace the three
places marked ``# SCHEDULER``: start a job (``sbatch``/``qsub``), ask about many jobs in
ONE query (``squeue``/``qstat``), cancel many (``scancel``/``qdel``).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess

from ruffus_luigi.backends.base import Backend, JobSpec, JobState, prepare_job


class ExampleBackend(Backend):
    """Jobs as local processes; the ``Popen`` objects stand in for the scheduler's job table.

    :param poll_interval: seconds between the dispatcher's polls (from luigi.cfg: a string)
    """

    name = "example"

    def __init__(self, poll_interval: float | str = 0.1) -> None:
        self.poll_interval = float(poll_interval)
        self.jobs: dict[str, subprocess.Popen] = {}  # job id -> its process
        self._numbers = itertools.count(1)  # ids are never reused, unlike process ids

    def submit(self, specs: list[JobSpec]) -> list[str]:
        """Start each job; one id per spec, in order."""
        ids = []
        for spec in specs:
            script = prepare_job(spec)  # clears an earlier attempt's files, writes the wrapper
            # SCHEDULER: run your submit command here and read the job id it prints
            with open(spec.stdout_path, "wb") as out, open(spec.stderr_path, "wb") as err:
                process = subprocess.Popen(
                    self.command(spec, script),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,  # its own process group: cancel reaches its children
                )
            job_id = "example-%d" % next(self._numbers)
            self.jobs[job_id] = process
            ids.append(job_id)
        return ids

    def command(self, spec: JobSpec, script: str) -> list[str]:
        """The command line starting one job: where ``spec.resources`` become options.

        A cluster back end maps ``queue``, ``memory_mb()``, ``threads``, ``walltime_hms()``
        and ``native`` to its scheduler's options; here only the walltime means something.
        """
        seconds = spec.resources.walltime_seconds()
        walltime = ["timeout", str(seconds)] if seconds else []
        return [*walltime, "/bin/sh", script]

    def poll(self, ids: list[str]) -> dict[str, JobState]:
        """The state of every id, normalised (a cluster back end: ONE status query for all)."""
        states = {}
        for job_id in ids:  # SCHEDULER: one status query for all ids, then normalise each
            process = self.jobs.get(job_id)
            if process is None:
                states[job_id] = JobState.LOST  # the scheduler has no record of this job
            elif process.poll() is None:
                states[job_id] = JobState.RUNNING  # a queue would also say PENDING
            elif process.returncode == 0:
                states[job_id] = JobState.SUCCEEDED
            else:
                states[job_id] = JobState.FAILED  # non-zero exit, killed, over its walltime
        return states

    def cancel(self, ids: list[str]) -> None:
        """Stop these jobs; ids that ended or are unknown are ignored."""
        for job_id in ids:  # SCHEDULER: one cancel command for all ids
            process = self.jobs.get(job_id)
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass  # it ended meanwhile

    def close(self) -> None:
        """Stop what still runs: a local job must not outlive its run (a cluster's closes its session)."""
        self.cancel(list(self.jobs))
