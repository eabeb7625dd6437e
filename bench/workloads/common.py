"""Shared by the workload scripts: settings from the environment, the job body, peak memory."""

import atexit
import os
import resource

N = int(os.environ.get("N", "1000"))
MP = int(os.environ.get("MP", "2"))
MODE = os.environ.get("MODE", "run")  # run | printout
JOBLOG = os.environ.get("JOBLOG") == "1"


def write(output, text="x"):
    """The job body: one small file (and, when asked, a line in jobs.log)."""
    with open(output, "w") as f:
        f.write(text)
    if JOBLOG:
        with open("jobs.log", "a") as f:
            f.write(output + "\n")


def _peak_rss():
    with open("peak_rss_kb.txt", "w") as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


atexit.register(_peak_rss)


def main(pipeline_run, pipeline_printout):
    """Run or print the pipeline, as the bench asks."""
    import sys

    if MODE == "printout":
        pipeline_printout(sys.stdout, verbose=3)
    else:
        pipeline_run(verbose=0, multiprocess=MP)
