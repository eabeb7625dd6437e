"""``run_job`` called inside a job that already runs on a cluster node.

A task function that calls ``drmaa_wrapper.run_job`` (CGAT's idiom) runs, on a cluster
back end, as a cluster job itself. Were its command submitted again from there, the
outer job would hold its slot idle while the command waits for one, and with as many
outer jobs in flight as the cluster has slots none of the commands ever starts. So
inside such a job (``remote.run`` says so with :func:`enter`) the command runs right
there, in the outer job's allocation, as a child process: nothing nests, no slot waits.
Its ``job_other_options`` cannot be requested any more; the job records them
(:func:`dropped`) and the run warns once per task.
"""

from __future__ import annotations

import os
import subprocess

from ..settings import config
from ..settings.table import BY_NAME

MARKER = BY_NAME["in_cluster_job"].env
"""Environment variable naming the task whose job runs on this node: set by :func:`enter`,
so the processes a task function starts (a ``multiprocessing`` pool, even one that
spawns, a script) run their ``run_job`` commands in the job too."""

_dropped: list[str] = []


def enter(task_name: str) -> None:
    """Mark this process, and those it starts, as running a job of ``task_name`` on a cluster node."""
    config.set_for_children("in_cluster_job", task_name)
    _dropped.clear()


def inside() -> bool:
    """Whether this process runs (as part of) a Ruffus job on a cluster node."""
    return bool(config.environment("in_cluster_job"))


def note_dropped(job_other_options: str) -> None:
    """Remember options the command asked for that its outer job did not request."""
    if job_other_options not in _dropped:
        _dropped.append(job_other_options)


def dropped() -> list[str]:
    """The ``job_other_options`` of this job's ``run_job`` calls that had to be dropped."""
    return list(_dropped)


def job_id() -> str:
    """The outer job's id on its cluster (Slurm, Grid Engine), else this process's."""
    return os.environ.get("SLURM_JOB_ID") or os.environ.get("JOB_ID") or "pid%d" % os.getpid()


def run_script(
    script: str, stdout_path: str, stderr_path: str, working_directory: str, job_environment: dict | None
) -> int:
    """Run ``/bin/sh script`` here, its output into the two files as a cluster job's; its exit
    status (negative: killed by that signal). ``job_environment`` is added to this job's
    environment, as a cluster job gets the submitter's environment plus it."""
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in (job_environment or {}).items()})
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        return subprocess.call(
            ["/bin/sh", script], cwd=working_directory, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
