"""A chunk's jobs on a back end other than ``local``: pack, dispatch, turn results into outcomes.

``ChunkExecutor.execute`` comes here only when a non-local back end is chosen, so the local
path stays as it was. Each job is a Python job (``pyjob``): the task function and its
parameters, run on the node by ``python -m ruffus_luigi.cli.remote``. Job files live in
``<working directory>/.ruffus_luigi/<run id>/`` (private, on the shared file system);
those of jobs that succeeded are removed, those of failed jobs kept for reading.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .. import plugins
from ..backends.base import JobSpec, Resources, job_name
from ..errors.job_errors import exception_tuple
from ..settings import config
from . import dispatch, private_dirs, pyjob, travelling
from .job import JobOutcome

if TYPE_CHECKING:
    from ..model.task import Task
    from .chunks import PlannedJob
    from .dispatch import JobResult
    from .run import RunState

RESOURCES_ATTRIBUTE = "ruffus_luigi_resources"
"""A task function's dict attribute with its resources, e.g. ``{"memory": "4G", "threads": 2}``."""


def task_resources(task: Task) -> Resources:
    """The task's resources: its function's ``ruffus_luigi_resources`` dict, overridden by
    ``[ruffus_luigi.task.<display name>]`` (or ``[ruffus_luigi.task.<name>]``) in luigi.cfg."""
    func = task.user_defined_work_func
    own = Resources.from_mapping(
        dict(getattr(func, RESOURCES_ATTRIBUTE, None) or {}), "%s.%s" % (task.name, RESOURCES_ATTRIBUTE)
    )
    display = task.display_name
    section = config.task_resources(display, task.name)
    return own.merged(Resources.from_mapping(section, "[ruffus_luigi.task.%s]" % display))


def check_travel(tasks: list[Task], backend: str) -> None:
    """Stop the run before any job if a task's function or declared extras cannot be sent to
    a node (a lambda, an open file): every job of the task would fail the same way."""
    for task in tasks:
        if task.runs_in_main_process or task.user_defined_work_func is None:
            continue
        declared = task.parsed_args
        named = {k: v for k, v in (declared.get("named_extras") or {}).items() if not k.startswith("__")}
        part, error = pyjob.unpicklable_part(
            task.user_defined_work_func, [None, None, *(declared.get("extras") or [])], named
        )
        if error is not None:
            raise pyjob.UnpicklableJobError(
                "Task %r: %s cannot be pickled to run on back end %r: %s" % (task.name, part, backend, error)
            )


def jobs_dir(state: RunState) -> str:
    """This run's private directory for job files, on the shared file system."""
    return private_dirs.make(os.path.join(state.workdir, private_dirs.ROOT, state.run_id))


def in_flight_limit(state: RunState) -> int:
    """Jobs in flight per Luigi worker: the run's ``multiprocess``/``multithread`` N shared out."""
    options = state.options
    total = max(1, options.multithread if options.multithread > 1 else options.multiprocess)
    return max(1, -(-total // max(1, options.multiprocess)))


def run_jobs(state: RunState, task: Task, jobs: list[PlannedJob], outcomes: list[JobOutcome]) -> None:
    """Run ``jobs`` on the chosen back end; append one outcome per job, in order."""
    default = state.options.backend
    found: dict[int, JobOutcome] = {}
    groups: dict[str, list[tuple[PlannedJob, JobSpec]]] = {}
    try:
        base = jobs_dir(state)
        resources = task_resources(task)
    except Exception as e:
        where = os.path.join(state.workdir, private_dirs.ROOT)
        for job in jobs:
            found[job.index] = JobOutcome(job.index, job.name, ran=False, error=_error(task, job, e, where))
        outcomes.extend(found[j.index] for j in jobs)
        return
    for job in jobs:
        try:
            spec = _spec(state, task, job, base, resources, default)
            routed = plugins.route(task.display_name, spec) or default
            groups.setdefault(routed, []).append((job, spec))
        except Exception as e:
            where = os.path.join(base, job_name(task.display_name, job.index))
            found[job.index] = JobOutcome(job.index, job.name, ran=False, error=_error(task, job, e, where))
    try:
        if len(groups) == 1:
            [(name, pairs)] = groups.items()
            _run_group(state, task, name, pairs, found)
        elif groups:
            with ThreadPoolExecutor(len(groups)) as pool:
                list(pool.map(lambda item: _run_group(state, task, item[0], item[1], found), groups.items()))
    finally:  # Ctrl-C too: the jobs that finished keep their outcomes
        outcomes.extend(found.get(j.index) or JobOutcome(j.index, "", ran=False) for j in jobs)
        for empty in (os.path.join(base, "logs"), base):
            try:
                os.rmdir(empty)
            except OSError:
                pass  # still holds a failed job's files, or another worker's


def _error(task: Task, job: PlannedJob, error: Exception, where: str) -> tuple:
    """Ruffus' error tuple for a job that could not be handed to the back end (raised in ``except``).

    A plain file-system error writing the job's files (a full disk, a read-only file system,
    no permission) is one line naming the file, or the job's directory when the error names
    none (a failed ``close``): the traceback through ruffus-luigi would say nothing more.
    """
    if not isinstance(error, OSError) or error.errno is None:
        return exception_tuple(task.name, job.name)
    named = OSError(error.errno, error.strerror, error.filename if error.filename is not None else where)
    return (task.name, job.name, "builtins.OSError", "(%s)" % named, "")


def _full(directory: str) -> str:
    """", whose file system is full" when it is: why a job could leave no exit code behind."""
    try:
        found = os.statvfs(directory)
    except OSError:
        return ""
    return ", whose file system is full" if found.f_bavail == 0 or found.f_favail == 0 else ""


def _spec(state: RunState, task: Task, job: PlannedJob, base: str, resources: Resources, backend: str) -> JobSpec:
    name = job_name(task.display_name, job.index)
    named = task.parsed_args.get("named_extras") if task.command_str else None
    style = "output_only" if task.kind == "originate" else "io"
    directory = pyjob.pack(
        os.path.join(base, name), task.name, job.name, task.user_defined_work_func, job.params, style, named, backend
    )
    spec = JobSpec.in_dir(
        name,
        os.path.join(base, "logs"),
        state.workdir,
        python_job=directory,
        resources=resources,
        task_name=task.display_name,
        params=job.params,
    )
    try:  # an earlier attempt's exit code must not answer for this one (retries)
        os.unlink(spec.exitcode_path)
    except FileNotFoundError:
        pass
    return spec


def _run_group(
    state: RunState, task: Task, backend: str, pairs: list[tuple[PlannedJob, JobSpec]], found: dict[int, JobOutcome]
) -> None:
    try:
        dispatcher = dispatch.shared(
            backend,
            lambda: plugins.create_backend(backend),
            hook=plugins.hook(),
            lost_retries=config.lost_job_retries(),
        )
    except Exception:  # unknown or unavailable: every job says why, and nothing else starts
        for job, _ in pairs:
            found[job.index] = JobOutcome(job.index, job.name, ran=False, error=exception_tuple(task.name, job.name))
        state.files.request_stop()
        return
    by_name = {spec.name: job for job, spec in pairs}

    def on_result(result: JobResult) -> None:
        job = by_name[result.spec.name]
        outcome = _outcome(state, task, job, result, backend)
        found[job.index] = outcome
        if outcome.signalled_break or (outcome.error and state.options.exceptions_terminate_immediately):
            state.files.request_stop()

    group = config.job_group_size(task.display_name, task.name)
    dispatcher.run([spec for _, spec in pairs], in_flight_limit(state), state.files.stopping, on_result, group)


def _outcome(state: RunState, task: Task, job: PlannedJob, result: JobResult, backend: str) -> JobOutcome:
    """The job's outcome as Ruffus reports it, from the node's result file or the back end's word."""
    spec = result.spec
    _echo(spec)
    if spec.python_job:
        try:
            private_dirs.verify(spec.python_job)
        except private_dirs.ForeignDirectory as e:  # swapped since it was packed: read nothing from it
            error = (task.name, job.name, "ruffus_luigi.ForeignDirectory", str(e), "")
            return JobOutcome(job.index, job.name, ran=False, error=error)
        try:
            travelling.replay(spec.python_job)
        except Exception as e:  # the run's logger is gone: the job's own outcome still counts
            sys.stderr.write("ruffus-luigi: the log calls of job %s were lost: %s\n" % (spec.name, e))
    answer = pyjob.read_result(spec.python_job or "")
    if answer is not None and answer.get("dropped_options"):
        _warn_dropped_options(state, task, answer["dropped_options"])
    outcome = JobOutcome(job.index, "", ran=False)
    if answer is not None and answer["error"]:  # the task function raised: Ruffus' error says it all
        outcome.name = job.name
        outcome.error = answer["error"]
        outcome.signalled_break = bool(answer["signalled_break"])
        _remove(spec)
    elif answer is not None and result.succeeded:
        outcome.ran = True
        # Ruffus dates a job's outputs when its function returns: the node says when (never
        # later than now here, whatever the node's clock)
        outcome.finished = min(answer.get("finished") or time.time(), time.time())
        _remove(spec)
    else:  # the job died or never ran: keep its files for reading
        outcome.name = job.name
        why = "(job %s failed on back end %r: %s; its files are in %s%s)" % (
            spec.name,
            backend,
            "exit code %s" % result.exit_code if result.exit_code is not None else result.message,
            os.path.dirname(spec.stdout_path),
            _full(os.path.dirname(spec.stdout_path)),
        )
        outcome.error = (task.name, job.name, "ruffus_luigi.JobFailed", why, result.log_tail)
    return outcome


def _warn_dropped_options(state: RunState, task: Task, options: list[str]) -> None:
    """One line per task and run (over all worker processes) when its jobs ran ``run_job``
    commands in their own allocation (``nested``) without the resources those asked for."""
    display = task.display_name
    marker = os.path.join(state.files.run_dir, "dropped-options-" + job_name(display))
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:
        return  # warned already (or the run is ending)
    sys.stderr.write(
        "ruffus-luigi: task %r: run_job ran its commands inside the task's own cluster jobs, which did not "
        "request their job_other_options %s (give the task those resources: %s.%s or [ruffus_luigi.task.%s])\n"
        % (display, ", ".join(repr(o) for o in options), task.name, RESOURCES_ATTRIBUTE, display)
    )
    sys.stderr.flush()


def _echo(spec: JobSpec) -> None:
    """Show what the job printed, as Ruffus shows a worker's output."""
    for path, stream in ((spec.stdout_path, sys.stdout), (spec.stderr_path, sys.stderr)):
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if text:
            stream.write(text)
            stream.flush()


def _remove(spec: JobSpec) -> None:
    for path in (spec.stdout_path, spec.stderr_path, spec.exitcode_path, spec.script_path):
        try:
            os.unlink(path)
        except OSError:
            pass
    if spec.python_job:
        shutil.rmtree(spec.python_job, ignore_errors=True)

