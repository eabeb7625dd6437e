"""Run one corpus case and print what a user would see of it, as one JSON document.

    python driver.py CASE.py MULTIPROCESS

Run in the case's working directory, under real Ruffus or under ruffus-luigi (the
caller chooses with PYTHONPATH). Fields: printouts at verbose 1, 3 and 5 before the
run, the jobs each task ran (as the job bodies recorded them), every file made and
its content, the jobs a second run ran (none expected), and the error if one was
raised (type and message), with the fields gathered before it.
"""

import importlib
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "corpus"))

from _record import RECORD  # noqa: E402


def recorded() -> dict:
    jobs: dict = {}
    if os.path.exists(RECORD):
        for line in open(RECORD):
            task, args = json.loads(line)
            jobs.setdefault(task, []).append(args)
        os.remove(RECORD)
    return {task: sorted(args) for task, args in jobs.items()}


def files() -> dict:
    out = {}
    for root, _, names in os.walk("."):
        for name in names:
            path = os.path.join(root, name)[2:]
            if name.endswith((".py", ".sqlite", ".pyc")) or name == RECORD:
                continue
            out[path] = open(path, errors="replace").read()
    return dict(sorted(out.items()))


def main() -> None:
    case, mp = sys.argv[1], int(sys.argv[2])
    result: dict = {}
    try:
        # a real module, so worker processes can unpickle its task functions
        sys.path.insert(0, os.getcwd())
        namespace = vars(importlib.import_module(Path(case).stem))
        import ruffus

        printout_kwargs = namespace.get("PRINTOUT_KWARGS", {})
        for verbose in (1, 3, 5):
            text = io.StringIO()
            ruffus.pipeline_printout(text, verbose=verbose, **printout_kwargs)
            result["printout%d" % verbose] = text.getvalue()
        run_kwargs = dict(namespace.get("RUN_KWARGS", {}), verbose=0, multiprocess=mp)
        ruffus.pipeline_run(**run_kwargs)
        result["jobs"] = recorded()
        result["files"] = files()
        ruffus.pipeline_run(**run_kwargs)
        result["rerun_jobs"] = recorded()
    except BaseException as e:  # noqa: BLE001 - the error is part of what the user sees
        result["error"] = "%s: %s" % (type(e).__name__, e)
        result["jobs_before_error"] = recorded()
    json.dump(result, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
