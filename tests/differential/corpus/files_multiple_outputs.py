from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in", "b.in"]:
    open(_f, "w").write(_f)

@files(["a.in", "b.in"], ["ab.out1", "ab.out2"], "extra", {"n": 1})
def f(i, o, e, d):
    record("f", i, o, e, d)

@files([[f, "g1.out"], [["a.in"], "g2.out"]])
def g(i, o):
    record("g", i, o)
