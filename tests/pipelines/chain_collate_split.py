import os
import sys

from ruffus import *


@originate(["a.start", "b.start", "c.start"])
def make(o):
    open(o, "w").write(o + "\n")

@transform(make, suffix(".start"), ".mid", "x")
def step(i, o, e):
    open(o, "w").write(open(i).read() + "step %s\n" % e)

@transform(step, formatter(r"(?P<L>\w)\.mid$"), "{path[0]}/{L[0]}.fin")
def fin(i, o):
    open(o, "w").write(open(i).read() + "fin\n")

@collate(fin, regex(r"(\w)\.fin"), r"all.\1.col")
def col(i, o):
    open(o, "w").write("".join(open(x).read() for x in i))

@merge(col, "total.txt")
def total(i, o):
    open(o, "w").write("".join(open(x).read() for x in i))

@split(total, "parts.*.sp")
def sp(i, o):
    for n in range(3):
        open("parts.%d.sp" % n, "w").write("p")

@transform(sp, suffix(".sp"), ".sp2")
def after(i, o):
    open(o, "w").write("q")

if __name__ == "__main__":
    v = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    pipeline_printout(sys.stdout, verbose=v)
    if "run" in sys.argv:
        pipeline_run(verbose=v, multiprocess=int(os.environ.get("MP", "1")))
        pipeline_printout(sys.stdout, verbose=v)
