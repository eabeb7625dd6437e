from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["ref.txt"]:
    open(_f, "w").write(_f)

@originate(["a.k", "b.k"])
def mk(o):
    record("mk", None, o)

@combinations_with_replacement(mk, formatter(), 2, add_inputs("ref.txt"), "{basename[0][0]}{basename[1][0]}.cwr")
def cwr(i, o):
    record("cwr", i, o)

@product(mk, formatter(), mk, formatter(), inputs("{basename[0][0]}.k"), "{basename[0][0]}x{basename[1][0]}.px")
def px(i, o):
    record("px", i, o)
