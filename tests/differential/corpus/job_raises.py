from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["ok.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".p")
def bad(i, o):
    record("bad", i, o)
    raise ValueError("bad job for " + i)

@transform(bad, suffix(".p"), ".q")
def never(i, o):
    record("never", i, o)
