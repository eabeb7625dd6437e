from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o", "b.o"])
def mk(o):
    record("mk", None, o)

@merge(mk, "m1")
def m1(i, o):
    record("m1", i, o)

@merge(mk, ["m2a", "m2b"])
def m2(i, o):
    record("m2", i, o)

@merge([m1, m2], "final")
def fin(i, o):
    record("fin", i, o)
