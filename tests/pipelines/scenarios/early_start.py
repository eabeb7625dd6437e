"""One slow upstream job: with ruffus-luigi, downstream jobs of the fast ones start before it ends."""
import os
import sys
import time

from ruffus import *


def log(message):
    with open("order.log", "a") as f:
        f.write("%.4f %s\n" % (time.time(), message))


@originate(["a%d.1" % i for i in range(6)])
def make(o):
    log("start make " + o)
    time.sleep(2.0 if o == "a5.1" else 0.05)
    open(o, "w").write(o + "\n")
    log("end make " + o)


@transform(make, suffix(".1"), ".2")
def step(i, o):
    log("start step " + o)
    open(o, "w").write(open(i).read() + "step\n")


@transform(step, suffix(".2"), ".3")
def more(i, o):
    log("start more " + o)
    open(o, "w").write(open(i).read() + "more\n")


@merge(more, "all.txt")
def total(i, o):
    open(o, "w").write("".join(open(x).read() for x in i))


if __name__ == "__main__":
    pipeline_run(verbose=int(sys.argv[1]), multiprocess=int(sys.argv[2]))
