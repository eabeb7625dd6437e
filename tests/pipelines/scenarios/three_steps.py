"""make (originate 3 files) -> mid (transform) -> end (transform) -> total (merge), for checkpoint tests.

Every job appends "<task> <output basename>" to jobs.log, so tests see what ran.
Argument 1: checkpoint strategies (or "" for the configured ones); argument 2: multiprocess.
FAIL_JOB=<basename>: that job writes half its output, then raises.
"""

import os
import sys

from ruffus import merge, originate, pipeline_run, suffix, transform

NAMES = ["a", "b", "c"]


def log(task, path):
    with open("jobs.log", "a") as f:
        f.write("%s %s\n" % (task, os.path.basename(path)))


def write(path, text):
    with open(path, "w") as f:
        f.write(text[: len(text) // 2])
        f.flush()
        if os.environ.get("FAIL_JOB") == os.path.basename(path):
            raise OSError("cannot finish writing %s" % os.path.basename(path))
        f.write(text[len(text) // 2 :])


@originate([n + ".start" for n in NAMES])
def make(output):
    log("make", output)
    write(output, os.path.basename(output) * 100)


@transform(make, suffix(".start"), ".mid")
def mid(input_file, output):
    log("mid", output)
    write(output, open(input_file).read().upper())


@transform(mid, suffix(".mid"), ".end")
def end(input_file, output):
    log("end", output)
    write(output, "%d\n" % len(open(input_file).read()))


@merge(end, "total.txt")
def total(inputs, output):
    log("total", output)
    write(output, "".join(open(i).read() for i in sorted(inputs)))


if __name__ == "__main__":
    pipeline_run(
        verbose=0,
        checkpoint=sys.argv[1] if len(sys.argv) > 1 else None,
        multiprocess=int(sys.argv[2]) if len(sys.argv) > 2 else 1,
    )
