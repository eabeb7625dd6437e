from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in", "b.in", "a.out"]:
    open(_f, "w").write(_f)

@transform(["a.in", "b.in"], suffix(".in"), ".out")
def f(i, o):
    record("f", i, o)

RUN_KWARGS = {"checksum_level": 0}
PRINTOUT_KWARGS = {"checksum_level": 0}
