from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"], "extra-for-originate", 3.5)
def mk(o, e, f):
    record("mk", None, o, e, f)

@transform(mk, suffix(".o"), [".p1", ".p2"], ("t", 1), None)
def t(i, o, tup, n):
    record("t", i, o, tup, n)
