from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["w.c", "x.c", "y.c", "z.c"])
def mk(o):
    record("mk", None, o)

@combinations(mk, formatter(r"(?P<L>\w)\.c$"), 3, "{L[0][0]}{L[1][0]}{L[2][0]}.tri", "{L[2][0]}", ["{basename[1][0]}"])
def tri(i, o, last, lst):
    record("tri", i, o, last, lst)
