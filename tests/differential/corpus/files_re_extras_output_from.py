from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["r1.txt", "r2.txt", "common.ref"]:
    open(_f, "w").write(_f)

@originate(["m1.made", "m2.made"])
def mk(o):
    record("mk", None, o)

@files_re("*.txt", r"r(\d)\.txt", [r"r\1.txt", "common.ref"], r"out\1.res", r"\1", "fixed")
def f(i, o, n, fixed):
    record("f", i, o, n, fixed)

@files_re(mk, r"(m\d)\.made", r"\1.done")
def g(i, o):
    record("g", i, o)

@files_re([f, g], r".*\.(\w+)$", combine(r"\g<0>"), r"all.\1")
def h(i, o):
    record("h", i, o)
