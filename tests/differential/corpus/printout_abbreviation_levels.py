from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("p1/p2/p3", exist_ok=True)
for _f in ["p1/p2/p3/a.in"]:
    open(_f, "w").write(_f)

@transform(["p1/p2/p3/a.in"], suffix(".in"), ".out")
def f(i, o):
    record("f", i, o)

PRINTOUT_KWARGS = {"verbose_abbreviated_path": 1}
