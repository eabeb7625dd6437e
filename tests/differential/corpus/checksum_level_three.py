from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in", "b.in"]:
    open(_f, "w").write(_f)

@transform(["a.in", "b.in"], suffix(".in"), ".out", "extra")
def f(i, o, e):
    record("f", i, o, e)

@merge(f, "all")
def m(i, o):
    record("m", i, o)

RUN_KWARGS = {"checksum_level": 3}
PRINTOUT_KWARGS = {"checksum_level": 3}
