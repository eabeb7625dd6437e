from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in", "b.in", "x.ref", "y.ref"]:
    open(_f, "w").write(_f)

@originate("made.o")
def made(o):
    record("made", None, o)

@transform(["a.in", "b.in"], suffix(".in"), inputs(("*.ref", made)), ".out")
def f(i, o):
    record("f", i, o)
