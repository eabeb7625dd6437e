from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["f1.in", "f2.in"]:
    open(_f, "w").write(_f)

@originate(["o1.o"])
def mk(o):
    record("mk", None, o)

@merge([mk, "*.in"], "merged.all", "label", {"a": 1}, [1, 2])
def m(i, o, label, d, lst):
    record("m", i, o, label, d, lst)
