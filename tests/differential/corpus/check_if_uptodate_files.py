from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os

def missing_output(i, o, *rest):
    if not os.path.exists(o):
        return True, "Missing " + o
    return False, "Exists " + o

for _f in ["a.in"]:
    open(_f, "w").write(_f)

@check_if_uptodate(missing_output)
@files("a.in", "a.out", "x")
def f(i, o, x):
    record("f", i, o, x)

@check_if_uptodate(missing_output)
@transform(f, suffix(".out"), ".next")
def g(i, o):
    record("g", i, o)
