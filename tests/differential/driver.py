"""Run one corpus case and print what a user would see of it, as one JSON document.

    python driver.py CASE.py MULTIPROCESS

Run in the case's working directory (the case script copied there), under real Ruffus
or under ruffus-luigi (the caller chooses with PYTHONPATH). The case is executed with
runpy as module ``corpus_case``; optional module-level ``PRINTOUT_KWARGS`` and
``RUN_KWARGS`` dicts are passed to ``pipeline_printout`` and ``pipeline_run``.

Fields:

- ``printout``: ``pipeline_printout`` before any run at verbose 1, 3 and 5, each with the
  default path abbreviation and with ``verbose_abbreviated_path=0``;
- ``graph``: ``pipeline_printout_graph`` in dot format before any run (``GRAPH_KWARGS`` if
  the case has it, else the ``PRINTOUT_KWARGS`` it accepts);
- ``jobs``: the jobs ``pipeline_run(verbose=0, multiprocess=MULTIPROCESS)`` ran, as the job
  bodies recorded them (``_record.record``): ``[[task, [job, ...]], ...]``, tasks in the
  order their first job was recorded, jobs sorted within a task;
- ``files``: every file under the working directory (relative path -> content), except
  ``*.py``, the default history database and the job record (other ``*.sqlite`` files are
  listed with the content ``<sqlite>``);
- ``printout_after_run``: ``pipeline_printout`` at verbose 3 and 6 between the two runs;
- ``rerun_jobs``: the jobs a second ``pipeline_run`` ran (none expected);
- ``error``: ``"TypeName: message"`` if declaring or running raised; the fields above
  then hold what was gathered before.
"""

import io
import json
import os
import runpy
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
# appended, not prepended: a case named like a standard module must not shadow it
sys.path.append(str(HERE / "corpus"))

from _record import RECORD  # noqa: E402

RUN_NAME = "corpus_case"
HISTORY = ".ruffus_history.sqlite"
# the PRINTOUT_KWARGS that pipeline_printout_graph also takes
GRAPH_OPTIONS = {"target_tasks", "forcedtorun_tasks", "pipeline", "checksum_level", "history_file",
                 "gnu_make_maximal_rebuild_mode", "runtime_data"}


def recorded() -> list:
    """The jobs recorded since the last call, by task in first-seen order; then forget them."""
    jobs: dict = {}
    if os.path.exists(RECORD):
        with open(RECORD, encoding="utf-8") as f:
            for line in f:
                task, args = json.loads(line)
                jobs.setdefault(task, []).append(args)
        os.remove(RECORD)
    return [[task, sorted(args, key=json.dumps)] for task, args in jobs.items()]


def files() -> dict:
    out = {}
    for root, dirs, names in os.walk("."):
        dirs.sort()
        for name in names:
            path = os.path.join(root, name)[2:]
            if name.endswith(".py") or name == RECORD or path == HISTORY:
                continue
            if name.endswith(".sqlite"):  # another history file: binary, compared by presence
                out[path] = "<sqlite>"
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                out[path] = f.read()
    return dict(sorted(out.items()))


def load(case: str) -> dict:
    """Execute the case as module ``corpus_case`` and keep it in ``sys.modules``.

    runpy removes its temporary module when done; worker processes unpickle task
    functions by module and name, so a module holding the same objects is registered.
    """
    namespace = runpy.run_path(case, run_name=RUN_NAME)
    module = types.ModuleType(RUN_NAME)
    module.__dict__.update(namespace)
    sys.modules[RUN_NAME] = module
    return namespace


def main() -> None:
    case, mp = sys.argv[1], int(sys.argv[2])
    result: dict = {}
    stdout, sys.stdout = sys.stdout, sys.stderr  # only the JSON document goes to stdout
    try:
        namespace = load(case)
        import ruffus

        printout_kwargs = namespace.get("PRINTOUT_KWARGS", {})
        result["printout"] = printouts = {}
        for verbose in (1, 3, 5):
            for abbreviated in (None, 0):
                text = io.StringIO()
                kwargs = dict(printout_kwargs, verbose=verbose)
                if abbreviated is not None:
                    kwargs["verbose_abbreviated_path"] = abbreviated
                ruffus.pipeline_printout(text, **kwargs)
                key = "verbose%d%s" % (verbose, "" if abbreviated is None else "_full_paths")
                printouts[key] = text.getvalue()
        graph = io.BytesIO()
        graph_kwargs = {k: v for k, v in printout_kwargs.items() if k in GRAPH_OPTIONS}
        ruffus.pipeline_printout_graph(graph, "dot", **namespace.get("GRAPH_KWARGS", graph_kwargs))
        result["graph"] = graph.getvalue().decode()
        run_kwargs = dict(namespace.get("RUN_KWARGS", {}), verbose=0, multiprocess=mp)
        ruffus.pipeline_run(**run_kwargs)
        result["jobs"] = recorded()
        result["files"] = files()
        result["printout_after_run"] = after = {}
        for verbose in (3, 6):
            text = io.StringIO()
            ruffus.pipeline_printout(text, **dict(printout_kwargs, verbose=verbose))
            after["verbose%d" % verbose] = text.getvalue()
        ruffus.pipeline_run(**run_kwargs)
        result["rerun_jobs"] = recorded()
    except BaseException as e:  # noqa: BLE001 - the error is part of what the user sees
        result["error"] = "%s: %s" % (type(e).__name__, e)
        # what the failed step left: the jobs it ran (and, for the first run, the files)
        if "jobs" not in result:
            result["jobs"] = recorded()
            result["files"] = files()
        else:
            result["rerun_jobs"] = recorded()
    stdout.write(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
