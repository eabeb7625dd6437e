from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in", "b.in"]:
    open(_f, "w").write(_f)

@transform(["a.in", "b.in"], suffix(".in"), [".out", r"\1.copy"], r"\1.log", "plain", 7)
def f(i, o, log, plain, n):
    record("f", i, o, log, plain, n)
