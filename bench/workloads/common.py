"""Shared by the workload scripts: settings from the environment, the job body, peak memory."""

import atexit
import os
import resource
import sys

N = int(os.environ.get("N", "1000"))
MP = int(os.environ.get("MP", "2"))
MODE = os.environ.get("MODE", "run")  # run | printout
JOBLOG = os.environ.get("JOBLOG") == "1"
_DRIVER = os.getpid()


def write(output: str, text: str = "x") -> None:
    """The job body: one small file (and, when asked, its name appended to jobs.log)."""
    with open(output, "w") as f:
        f.write(text)
    if JOBLOG:
        with open("jobs.log", "a") as f:
            f.write(output + "\n")


def _peak_rss() -> None:
    """Print the driver's own peak RSS (forked workers inherit this hook but stay silent)."""
    if os.getpid() == _DRIVER:
        print("peak_rss_kb=%d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)


atexit.register(_peak_rss)


def main(pipeline_run, pipeline_printout) -> None:
    """Run or print the pipeline, as the bench asks."""
    if MODE == "printout":
        pipeline_printout(sys.stdout, verbose=3)
    else:
        pipeline_run(verbose=0, multiprocess=MP)
