"""``python -m ruffus_luigi.cli.remote <dir>``: run a packed Ruffus job on a node.

Restores the submitting process's ``sys.path`` and ``sys.argv``, loads the script the
job's function lives in when that was ``__main__`` (with ``pipeline_run`` and friends
made no-ops, so the pipeline does not start again on the node), calls the function as
Ruffus would and records the outcome with ``pyjob.write_result``. Exit status 0 means
the job succeeded. ``--group <list>`` runs the jobs of a group one after another (``run_group``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import sys
import time
import traceback
from typing import Any

from ..errors import exceptions as rx
from ..errors.job_errors import exception_tuple
from ..execution import nested, private_dirs, pyjob, travelling
from ..execution.job import call_job

MAIN_ALIAS = "__ruffus_luigi_main__"


def _no_op(*_args: Any, **_kwargs: Any) -> None:
    return None


def _quiet_pipeline_runs() -> None:
    """Make the calls that start a pipeline do nothing while the script is imported."""
    # (imported here: only a job whose function is the script's own loads the API and cmdline)
    import ruffus_luigi
    from ruffus_luigi import cmdline
    from ruffus_luigi.api import pipeline

    for name in ("pipeline_run", "pipeline_printout", "pipeline_printout_graph"):
        setattr(ruffus_luigi, name, _no_op)
    for name in ("run", "printout", "printout_graph"):
        setattr(pipeline.Pipeline, name, _no_op)
    cmdline.run = _no_op


def _load_main(path: str) -> None:
    """Import the submitting script under another name and let it stand for ``__main__``
    (once per process: the jobs of a group share it)."""
    loaded = sys.modules.get(MAIN_ALIAS)
    if loaded is not None and getattr(loaded, "__file__", None) == path:
        sys.modules["__main__"] = loaded
        return
    _quiet_pipeline_runs()
    spec = importlib.util.spec_from_file_location(MAIN_ALIAS, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load the pipeline script %s" % path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MAIN_ALIAS] = module
    spec.loader.exec_module(module)
    sys.modules["__main__"] = module


def run(directory: str) -> int:
    """Run the job packed in ``directory``; 0 if it succeeded."""
    try:
        private_dirs.verify(directory)
    except private_dirs.ForeignDirectory as e:  # another user's files: load nothing, write nothing
        print("ruffus-luigi: job not run: %s" % e, file=sys.stderr)
        return 2
    with open(os.path.join(directory, pyjob.CONTEXT_FILE)) as f:
        context = json.load(f)
    task_name, job_name = context["task_name"], context["job_name"]
    sys.path[:0] = context["sys_path"]
    sys.argv = context["argv"]
    travelling.set_job_dir(directory)
    nested.enter(task_name)  # drmaa_wrapper.run_job now runs its commands here
    error: tuple | None = None
    signalled_break = False
    finished: float | None = None
    try:
        if context.get("main_file"):
            _load_main(context["main_file"])
        with open(os.path.join(directory, pyjob.JOB_FILE), "rb") as f:
            payload = pickle.load(f)
        call_job(payload["style"], payload["func"], payload["params"], payload["named"])
        finished = time.time()
    except rx.JobSignalledBreak:
        signalled_break = True
        error = exception_tuple(task_name, job_name)
    except BaseException:
        error = exception_tuple(task_name, job_name)
    pyjob.write_result(directory, error, signalled_break, nested.dropped(), finished)
    return 1 if error else 0


def run_group(listing: str) -> int:
    """Run the jobs of a group (``backends.base.prepare_group``) one after another; 0 when each got its exit code.

    The script is imported here once; each job then runs in a child process of its own
    (forked), so that what one job does to its process (``os.chdir``, ``os._exit``, a
    crash, a signal) touches no other. Each child writes to the job's stdout and stderr
    files; its exit status (128 + N for a signal N, as a shell reports it) goes to the
    job's exit code file, written whole. The group's own files are removed at the end.
    """
    try:  # the list names the files each job writes: only one in a folder of ours alone is read
        private_dirs.verify(os.path.dirname(os.path.abspath(listing)))
    except private_dirs.ForeignDirectory as e:
        print("ruffus-luigi: jobs not run: %s" % e, file=sys.stderr)
        return 2
    with open(listing, errors="surrogateescape") as f:
        members = json.load(f)
    _preload(members)
    for member in members:
        code = _run_member(member)
        tmp = "%s.tmp.%d" % (member["exitcode"], os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % code)
        os.replace(tmp, member["exitcode"])
    base = listing.removesuffix(".json")
    for path in (listing, base + ".job.sh", base + ".stdout", base + ".stderr"):
        try:
            os.unlink(path)
        except OSError:
            pass
    return 0


def _preload(members: list[dict]) -> None:
    """Import the script the jobs' functions live in once, before the jobs fork. On any
    trouble, nothing: each job then loads it itself and reports what went wrong."""
    try:
        directory = members[0]["python_job"]
        private_dirs.verify(directory)
        with open(os.path.join(directory, pyjob.CONTEXT_FILE)) as f:
            context = json.load(f)
        if context.get("main_file"):
            saved = sys.path[:], sys.argv[:]
            sys.path[:0] = context["sys_path"]
            sys.argv = context["argv"]
            try:
                _load_main(context["main_file"])
            finally:
                sys.path[:], sys.argv = saved
    except BaseException:  # noqa: BLE001 - the job says it, in its own files
        sys.modules.pop(MAIN_ALIAS, None)


def _run_member(member: dict) -> int:
    """One job of a group in a forked child, as the one-job wrapper script runs it; its exit status."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 127  # (as the one-job wrapper: the job could not be started)
        try:
            for fd, path in ((1, member["stdout"]), (2, member["stderr"])):
                target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(target, fd)
                os.close(target)
            os.environ.update(member["env"])
            os.chdir(member["workdir"])
            code = run(member["python_job"])
        except BaseException:  # noqa: BLE001 - the job's stderr says why
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--group":
        return run_group(args[1])
    if len(args) != 1:
        sys.stderr.write("usage: python -m ruffus_luigi.cli.remote <job directory> | --group <job list>\n")
        return 2
    return run(args[0])


if __name__ == "__main__":
    sys.exit(main())
