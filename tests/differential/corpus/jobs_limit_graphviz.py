from ruffus import *
from ruffus.combinatorics import *
from _record import record

@jobs_limit(1, "shared")
@graphviz(color="red", label="make")
@originate(["a.o", "b.o", "c.o"])
def mk(o):
    record("mk", None, o)

@jobs_limit(1, "shared")
@transform(mk, suffix(".o"), ".p")
def t(i, o):
    record("t", i, o)
