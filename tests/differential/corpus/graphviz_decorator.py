from ruffus import *
from ruffus.combinatorics import *
from _record import record

@graphviz(fontcolor="blue", label="Start here", color="green")
@originate(["a.o", "b.o"])
def mk(o):
    record("mk", None, o)

@graphviz(shape="circle", style="dashed", label_prefix="X")
@merge(mk, "m.out")
def m(i, o):
    record("m", i, o)
