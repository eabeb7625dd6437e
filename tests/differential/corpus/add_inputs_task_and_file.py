from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in", "b.in", "common.txt"]:
    open(_f, "w").write(_f)

@originate(["ref1.r", "ref2.r"])
def refs(o):
    record("refs", None, o)

@transform(["a.in", "b.in"], regex(r"(\w)\.in"), add_inputs(refs, "common.txt", r"\1.in"), r"\1.out")
def f(i, o):
    record("f", i, o)
