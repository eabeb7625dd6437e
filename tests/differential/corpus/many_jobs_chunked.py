from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["f%03d.o" % n for n in range(120)])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".p")
def t(i, o):
    record("t", i, o)

@collate(t, regex(r"f(\d)\d\d\.p"), r"group\1.c")
def c(i, o):
    record("c", i, o)
