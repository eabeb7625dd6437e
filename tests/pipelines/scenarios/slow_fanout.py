"""Six slow jobs fanned out and merged; every job appends its name and pid to jobs.log."""
import os
import sys
import time

from ruffus import *


def record(name):
    with open("jobs.log", "a") as f:
        f.write("%s %d\n" % (name, os.getpid()))


@originate(["s%d.start" % i for i in range(6)])
def make(o):
    record("make " + o)
    time.sleep(0.3)
    open(o, "w").write(o + "\n")


@transform(make, suffix(".start"), ".mid")
def step(i, o):
    record("step " + o)
    time.sleep(0.3)
    open(o, "w").write(open(i).read() + "step\n")


@merge(step, "all.txt")
def total(i, o):
    record("total " + o)
    open(o, "w").write("".join(open(x).read() for x in sorted(i)))


if __name__ == "__main__":
    pipeline_run(verbose=int(os.environ.get("VERBOSE", "1")), multiprocess=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
