"""``python -m ruffus_luigi.cli.remote <dir>``: run a packed Ruffus job on a node.

Restores the submitting process's ``sys.path`` and ``sys.argv``, loads the script the
job's function lives in when that was ``__main__`` (with ``pipeline_run`` and friends
made no-ops, so the pipeline does not start again on the node), calls the function as
Ruffus would and records the outcome with ``pyjob.write_result``. Exit status 0 means
the job succeeded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import sys
import time
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
    """Import the submitting script under another name and let it stand for ``__main__``."""
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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m ruffus_luigi.cli.remote <job directory>\n")
        return 2
    return run(args[0])


if __name__ == "__main__":
    sys.exit(main())
