from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["seed.txt"]:
    open(_f, "w").write(_f)

@split("seed.txt", ["a.half", "b.half"])
def halves(i, o):
    record("halves", i, o)

@subdivide(halves, regex(r"(\w)\.half"), r"\1.*.quarter", r"\1")
def quarters(i, o, stem):
    record("quarters", i, o, stem)
    for n in range(2):
        open("%s.%d.quarter" % (stem, n), "w").write(stem)

@merge(quarters, "all.quarters")
def m(i, o):
    record("m", i, o)
