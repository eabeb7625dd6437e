from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate([["a.1", "a.2"], ["b.1", "b.2"]], "shared-extra")
def mk(o, e):
    record("mk", None, o, e)

@transform(mk, suffix(".1"), ".t")
def t(i, o):
    record("t", i, o)

@merge(mk, "all")
def m(i, o):
    record("m", i, o)
