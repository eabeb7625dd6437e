from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.x", "b.x", "c.x"])
def mk(o):
    record("mk", None, o)

@combinations_with_replacement(mk, formatter(), 2, "{basename[0][0]}{basename[1][0]}.cwr")
def cwr(i, o):
    record("cwr", i, o)

@combinations(mk, formatter(), 3, "{basename[0][0]}{basename[1][0]}{basename[2][0]}.c3")
def c3(i, o):
    record("c3", i, o)
