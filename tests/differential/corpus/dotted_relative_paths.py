from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("sub", exist_ok=True)
for _f in ["./a.in", "sub/../b.in"]:
    open(_f, "w").write(_f)

@transform(["./a.in", "sub/../b.in"], suffix(".in"), ".out")
def f(i, o):
    record("f", i, o)

@transform("./*.out", formatter(), "./sub/{basename[0]}.moved")
def g(i, o):
    record("g", i, o)
