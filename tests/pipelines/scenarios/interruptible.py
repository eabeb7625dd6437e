"""Slow jobs that write their output in two halves; every job start is appended to jobs.log."""
import os
import sys
import time

from ruffus import *

N = 8


def record(name):
    with open("jobs.log", "a") as f:
        f.write("%s %d\n" % (name, os.getpid()))


@originate(["f%d.start" % i for i in range(N)])
def make(o):
    record("make " + o)
    open(o, "w").write(o + "\n")


@transform(make, suffix(".start"), ".mid")
def slow(i, o):
    record("slow " + o)
    with open(o, "w") as f:
        f.write("first half of %s\n" % i)
        f.flush()
        time.sleep(float(os.environ.get("JOB_SECONDS", "0.6")))
        f.write("second half\n")


@merge(slow, "all.txt")
def total(i, o):
    record("total " + o)
    open(o, "w").write("".join(open(x).read() for x in sorted(i)))


if __name__ == "__main__":
    pipeline_run(verbose=1, multiprocess=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
