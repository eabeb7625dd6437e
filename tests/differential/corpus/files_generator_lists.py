from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["x.in", "y.in", "common.ref"]:
    open(_f, "w").write(_f)

def params():
    for n, stem in enumerate(["x", "y"]):
        yield [stem + ".in", "common.ref"], [stem + ".o1", stem + ".o2"], n, [stem]

@files(params)
def f(i, o, n, lst):
    record("f", i, o, n, lst)

@merge(f, "all.m")
def m(i, o):
    record("m", i, o)
