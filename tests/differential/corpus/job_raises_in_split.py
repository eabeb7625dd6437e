from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["in.txt"]:
    open(_f, "w").write(_f)

@split("in.txt", "*.piece")
def s(i, o):
    record("s", i, o)
    open("one.piece", "w").write("1")
    raise KeyError("split failed after one piece")

@transform(s, suffix(".piece"), ".t")
def t(i, o):
    record("t", i, o)
