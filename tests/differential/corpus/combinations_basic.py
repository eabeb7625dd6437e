from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.c", "b.c", "c.c", "d.c"])
def mk(o):
    record("mk", None, o)

@combinations(mk, formatter(), 2, "{basename[0][0]}{basename[1][0]}.comb", ["{path[0][0]}", "x"])
def comb(i, o, e):
    record("comb", i, o, e)

@merge(comb, "combs.all")
def m(i, o):
    record("m", i, o)
