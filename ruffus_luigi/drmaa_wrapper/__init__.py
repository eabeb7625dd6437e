"""``ruffus.drmaa_wrapper``: Ruffus 3.0.0's ``run_job``, run through ruffus-luigi's back ends.

Same signature and results as Ruffus: a shell command runs on the cluster (or locally
with ``run_locally``, or not at all with ``touch_only``) and its stdout and stderr
come back as lists of lines; a failure raises ``error_drmaa_job``. Where it runs is
configuration: RUFFUS_LUIGI_RUN_JOB_BACKEND / ``[ruffus_luigi] run_job_backend``, else
RUFFUS_LUIGI_BACKEND / ``[ruffus_luigi] backend`` (``slurm``, ``local``...) sends a script
written for Grid Engine elsewhere unchanged, its ``job_other_options``
translated (``backends.sge_options``). With nothing configured it is Grid Engine through
DRMAA, with the caller's ``drmaa_session``, as in Ruffus: the ``drmaa`` back end of the
plugin ruffus-luigi-drmaa (``pip install ruffus-luigi-drmaa``), which alone imports ``drmaa``;
without it such a call fails saying which package to install, and ``run_locally=True`` and
``touch_only=True`` work as ever.
"""

from __future__ import annotations, print_function

import datetime
import importlib.util
import os
import shlex
import stat
import subprocess
import sys
import tempfile
import threading
import time
from queue import Empty, Queue
from typing import Any

from ..backends.base import BackendUnavailable, JobSpec, Resources, UnknownBackend
from ..backends.base import job_name as safe_job_name
from ..errors.exceptions import (
    JobFailed,
    JobSignalledBreak,
    JobSignalledResume,
    JobSignalledSuspend,
)
from ..execution import nested
from ..model.pipeline import lookup_pipeline
from ..settings import config
from .drmaa_calls import (
    GEVENT_TIMEOUT_STARTUP,
    GEVENT_TIMEOUT_WAIT,
    drmaa,
    enqueue_output,
    pump_lines,
    setup_drmaa_job,
    submit_drmaa_job,
)
from .job_files import (
    read_stdout_stderr_from_files,
    timestamp,
    touch_output_files,
    write_job_script_to_temp_file,
)

__all__ = [
    "error_drmaa_job",
    "read_stdout_stderr_from_files",
    "write_job_script_to_temp_file",
    "run_job_using_drmaa",
    "run_job_locally",
    "touch_output_files",
    "run_job",
    "JobFailed",
    "JobSignalledBreak",
    "JobSignalledResume",
    "JobSignalledSuspend",
    # the rest of what `from ruffus.drmaa_wrapper import *` gives in Ruffus 3.0.0
    "setup_drmaa_job",
    "submit_drmaa_job",
    "enqueue_output",
    "lookup_pipeline",
    "drmaa",
    "HAVE_DRMAA",  # noqa: F822 - worked out by __getattr__ when asked
    "HAVE_GEVENT",
    "GEVENT_TIMEOUT_STARTUP",
    "GEVENT_TIMEOUT_WAIT",
    "ON_POSIX",
    "path_str_type",
    "Queue",
    "Empty",
    "print_function",
    "datetime",
    "os",
    "stat",
    "subprocess",
    "sys",
    "tempfile",
    "threading",
    "time",
]

ON_POSIX = "posix" in sys.builtin_module_names
path_str_type = str
HAVE_GEVENT = importlib.util.find_spec("gevent") is not None


class error_drmaa_job(Exception):  # noqa: N801 - Ruffus' name
    """Raised by this module when a job cannot be run or fails."""


def __getattr__(name: str) -> Any:
    """``HAVE_DRMAA``: whether jobs can go to Grid Engine through DRMAA here, that is whether the
    ``drmaa`` back end (plugin ruffus-luigi-drmaa) is installed and loads its library. Worked out
    only when asked."""
    if name == "HAVE_DRMAA":
        from .. import plugins  # (cluster only: a script run locally never loads the plugins)

        try:
            plugins.create_backend("drmaa").close()
        except (UnknownBackend, BackendUnavailable):
            return False
        return True
    raise AttributeError(name)


def _failure_text(cmd_str: str, job_id: str, script: str, stdout: list[str], stderr: list[str]) -> str:
    text = "The original command was: >> %s <<\nThe jobid was: %s\nThe job script name was: %s\n" % (
        cmd_str,
        job_id,
        script,
    )
    if stderr:
        text += "The stderr was: \n%s\n\n" % "".join(stderr)
    if stdout:
        text += "The stdout was: \n%s\n\n" % "".join(stdout)
    return text


def _backend_and_resources(job_other_options: str | None, logger: Any) -> tuple[str, Resources, bool]:
    """The back end for a cluster job, its resources, and whether it was configured."""
    configured = config.run_job_backend()
    name = configured or "drmaa"
    if name == "drmaa":
        return name, Resources(native=job_other_options or None), bool(configured)
    from ..backends import sge_options  # (only for Grid Engine options sent elsewhere)

    resources, ignored = sge_options.parse(job_other_options)
    if resources.queue:
        ignored.append("-q " + resources.queue)
        resources = Resources(None, resources.memory, resources.threads, resources.walltime)
    if ignored and logger:
        logger.warning(
            "Grid Engine options %s have no meaning on back end %r and are ignored (set them in "
            "[ruffus_luigi.backend.%s])" % (", ".join(ignored), name, name)
        )
    return name, resources, True


def run_job_using_drmaa(
    cmd_str: str,
    job_name: str | None = None,
    job_other_options: str | None = None,
    job_script_directory: str | None = None,
    job_environment: dict | None = None,
    working_directory: str | None = None,
    retain_job_scripts: bool = False,
    logger: Any = None,
    drmaa_session: Any = None,
    verbose: int = 0,
    resubmit: int = 0,
    pipeline: Any = None,
) -> tuple[list[str], list[str]]:
    """Run ``cmd_str`` as a cluster job through the configured back end and wait for it.

    ``resubmit`` > 0: up to that many attempts while the job fails (Ruffus' meaning).
    """
    # (cluster only: importing drmaa_wrapper loads neither the plugins nor the dispatcher)
    from .. import plugins
    from ..execution import dispatch
    if nested.inside():  # in a cluster job already: run the command in its allocation
        return _run_in_this_job(
            cmd_str, job_name, job_other_options, job_script_directory, job_environment, working_directory,
            retain_job_scripts, logger, verbose, resubmit,
        )
    backend, resources, configured = _backend_and_resources(job_other_options, logger)
    if backend == "drmaa" and drmaa_session is None and not configured:
        raise error_drmaa_job("Please specify a drmaa_session in run_job()")
    options = {"session": drmaa_session} if backend == "drmaa" and drmaa_session is not None else {}
    try:
        dispatcher = dispatch.shared(
            backend,
            lambda: plugins.create_backend(backend, **options),
            hook=plugins.hook(),
            lost_retries=config.lost_job_retries(),
        )
    except (UnknownBackend, BackendUnavailable) as e:  # e.g. Grid Engine without ruffus-luigi-drmaa
        raise error_drmaa_job("run_job cannot send jobs to back end %r: %s" % (backend, " ".join(str(e).split()))) from None
    script, stdout_path, stderr_path = write_job_script_to_temp_file(
        cmd_str, job_script_directory or os.getcwd(), job_name, job_other_options, job_environment, working_directory
    )
    spec = JobSpec(
        safe_job_name(job_name or "ruffus_job_" + timestamp()),
        working_directory or os.getcwd(),
        stdout_path,
        stderr_path,
        command="/bin/sh " + shlex.quote(script),
        resources=resources,
        env={str(k): str(v) for k, v in job_environment.items()} if job_environment else None,
        exitcode_path=script + ".exitcode",
    )
    result = None
    for attempt in range(max(1, resubmit)):
        if attempt and logger:
            logger.debug("Resubmitting job, resubmission count is %d" % attempt)
        results = dispatcher.run([spec])
        result = results[0] if results else None
        if result is not None and result.succeeded:
            break
        if logger and result is not None:
            logger.debug("job %s failed: %s" % (result.job_id, result.describe()))
    job_id = result.job_id if result is not None else ""
    stdout, stderr = read_stdout_stderr_from_files(stdout_path, stderr_path, logger, cmd_str)
    for path in (spec.exitcode_path, spec.script_path):
        try:
            os.unlink(path)
        except OSError:
            pass
    if result is None or not result.succeeded:
        if result is not None and result.exit_code is not None:
            why = "The %s command exited with status %i" % (backend, result.exit_code)
        else:
            why = "The %s command was never run or was killed (%s)" % (
                backend,
                result.message if result is not None else "not submitted",
            )
        raise error_drmaa_job("%s:\n%s" % (why, _failure_text(cmd_str, job_id, script, stdout, stderr)))
    _finish(cmd_str, script, job_id, retain_job_scripts, logger, verbose)
    return stdout, stderr


def _finish(cmd_str: str, script: str, job_id: str, retain_job_scripts: bool, logger: Any, verbose: int) -> None:
    """After a command succeeded: keep its script as ``<script>.<job id>`` or remove it (Ruffus)."""
    if verbose and logger:
        logger.info("Drmaa command successfully ran %s" % cmd_str)
    if retain_job_scripts:
        os.rename(script, "%s.%s" % (script, job_id))
    else:
        try:
            os.unlink(script)
        except OSError:
            if logger:
                logger.warning("Temporary job script wrapper '%s' missing (and ignored) at clean-up" % script)


def _run_in_this_job(
    cmd_str: str,
    job_name: str | None,
    job_other_options: str | None,
    job_script_directory: str | None,
    job_environment: dict | None,
    working_directory: str | None,
    retain_job_scripts: bool,
    logger: Any,
    verbose: int,
    resubmit: int,
) -> tuple[list[str], list[str]]:
    """``run_job`` on a cluster node: the command runs here, in the outer job's allocation
    (``nested``), with the results and errors it would have as a job of its own. No DRMAA
    session is needed (the script's, made under ``if __name__ == "__main__":``, is not
    there on the node)."""
    backend = config.run_job_backend() or "drmaa"
    if job_other_options and _requests_resources(job_other_options):
        nested.note_dropped(job_other_options)
    script, stdout_path, stderr_path = write_job_script_to_temp_file(
        cmd_str, job_script_directory or os.getcwd(), job_name, job_other_options, job_environment, working_directory
    )
    job_id = nested.job_id()
    code = 0
    for attempt in range(max(1, resubmit)):
        if attempt and logger:
            logger.debug("Resubmitting job, resubmission count is %d" % attempt)
        code = nested.run_script(script, stdout_path, stderr_path, working_directory or os.getcwd(), job_environment)
        if code == 0:
            break
    stdout, stderr = read_stdout_stderr_from_files(stdout_path, stderr_path, logger, cmd_str)
    if code:
        why = (
            "The %s command exited with status %i" % (backend, code)
            if code > 0
            else "The %s command was never run or was killed (signal %i)" % (backend, -code)
        )
        raise error_drmaa_job("%s:\n%s" % (why, _failure_text(cmd_str, job_id, script, stdout, stderr)))
    _finish(cmd_str, script, job_id, retain_job_scripts, logger, verbose)
    return stdout, stderr


def _requests_resources(job_other_options: str) -> bool:
    """Whether Grid Engine options ask for anything beyond what any job has (memory, slots, a queue...)."""
    from ..backends import sge_options  # (only for Grid Engine options sent elsewhere)

    resources, ignored = sge_options.parse(job_other_options)
    return bool(ignored) or resources != Resources()


def run_job_locally(
    cmd_str: str,
    logger: Any = None,
    job_environment: dict | None = None,
    working_directory: str | None = None,
    local_echo: bool = False,
) -> tuple[list[str], list[str]]:
    """Run ``cmd_str`` with the shell here; ``job_environment`` replaces the environment, as in Ruffus."""
    process = subprocess.Popen(
        cmd_str,
        shell=True,
        cwd=working_directory or os.getcwd(),
        env=job_environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=1,
        text=True,
        close_fds=True,
    )
    stdout: list[str] = []
    stderr: list[str] = []
    pumps = [
        threading.Thread(target=pump_lines, args=(process.stdout, stdout.append, sys.stdout if local_echo else None), daemon=True),
        threading.Thread(target=pump_lines, args=(process.stderr, stderr.append, sys.stderr if local_echo else None), daemon=True),
    ]
    for t in pumps:
        t.start()
    process.wait()
    for t in pumps:
        t.join()
    if process.stdin:
        process.stdin.close()
    if process.returncode != 0:
        code = process.returncode
        how = "was terminated by signal %i" % -code if code < 0 else "exited with status %i" % code
        raise error_drmaa_job(
            "The locally run command %s:\nThe original command was:\n%s\nThe stderr was: \n%s\n\n"
            "The stdout was: \n%s\n\n" % (how, cmd_str, "".join(stderr), "".join(stdout))
        )
    return stdout, stderr


def run_job(
    cmd_str: str,
    job_name: str | None = None,
    job_other_options: str | None = None,
    job_script_directory: str | None = None,
    job_environment: dict | None = None,
    working_directory: str | None = None,
    logger: Any = None,
    drmaa_session: Any = None,
    retain_job_scripts: bool = False,
    run_locally: bool = False,
    output_files: Any = None,
    touch_only: bool = False,
    verbose: int = 0,
    local_echo: bool = False,
    resubmit: int = 0,
    pipeline: Any = None,
) -> Any:
    """Run a command on the cluster (the configured back end), locally, or only touch its outputs.

    Returns ``(stdout_lines, stderr_lines)``; ``touch_only`` returns ``("", "")`` as Ruffus does.
    """
    pipeline = lookup_pipeline(pipeline)
    if touch_only:
        touch_output_files(cmd_str, output_files, logger)
        return "", ""
    if run_locally:
        return run_job_locally(cmd_str, logger, job_environment, working_directory, local_echo)
    return run_job_using_drmaa(
        cmd_str,
        job_name,
        job_other_options,
        job_script_directory,
        job_environment,
        working_directory,
        retain_job_scripts,
        logger,
        drmaa_session,
        verbose,
        resubmit,
        pipeline,
    )
