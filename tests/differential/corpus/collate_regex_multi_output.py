from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["x.1.in", "x.2.in", "y.1.in"]:
    open(_f, "w").write(_f)

@collate(["x.1.in", "x.2.in", "y.1.in"], regex(r"(\w)\.\d\.in"), [r"\1.sum", r"\1.count"], r"\1", 5)
def c(i, o, name, n):
    record("c", i, o, name, n)

@transform(c, suffix(".sum"), ".report")
def rep(i, o):
    record("rep", i, o)
