from ruffus import *
from ruffus.combinatorics import *
from _record import job

@jobs_limit(1, "shared")
@graphviz(color="red", label="make")
@originate(["a.o", "b.o", "c.o"])
def mk(o):
    job("mk", None, o)

@jobs_limit(1, "shared")
@transform(mk, suffix(".o"), ".p")
def t(i, o):
    job("t", i, o)
