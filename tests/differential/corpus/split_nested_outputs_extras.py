from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["in.txt"]:
    open(_f, "w").write(_f)

@split("in.txt", [["a.1", "a.2"], "b.1"], "extra", 2)
def s(i, o, e, n):
    record("s", i, o, e, n)

@transform(s, suffix(".1"), ".t")
def t(i, o):
    record("t", i, o)
