from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in"]:
    open(_f, "w").write(_f)

@files("a.in", None, "no output")
def f(i, o, e):
    record("f", i, o, e)

@files([["a.in", None], ["a.in", "real.out"]])
def g(i, o):
    record("g", i, o)
