from ruffus import *
from ruffus.combinatorics import *
from _record import record

@jobs_limit(2)
@originate(["%02d.o" % n for n in range(8)])
def mk(o):
    record("mk", None, o)

@jobs_limit(1, "serial")
@transform(mk, suffix(".o"), ".p")
def t(i, o):
    record("t", i, o)

@jobs_limit(1, "serial")
@merge(t, "all")
def m(i, o):
    record("m", i, o)
