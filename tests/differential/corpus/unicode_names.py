from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["données.o", "naïve.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".ü")
def t(i, o):
    record("t", i, o)
