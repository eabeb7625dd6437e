from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a_1.v", "a_2.v", "b_1.v"]:
    open(_f, "w").write(_f)

@files_re("*.v", r"(\w)_\d\.v", combine(r"\1_1.v", r"\g<0>"), r"\1.combined", r"\1")
def f(i, o, g):
    record("f", i, o, g)
