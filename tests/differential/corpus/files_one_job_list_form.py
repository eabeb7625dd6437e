from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in"]:
    open(_f, "w").write(_f)

@files([["a.in", "job1.out", "e1"]])
def f(i, o, e):
    record("f", i, o, e)

@follows(f)
@files([[["a.in", "job1.out"], ["multi1.out", "multi2.out"]]])
def g(i, o):
    record("g", i, o)
