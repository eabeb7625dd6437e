from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o, e):
    record("t", i, o, e)

def m(i, o):
    record("m", i, o)

p = Pipeline("oo")
p.originate(mk, ["a.o", "b.o"])
p.transform(t, mk, suffix(".o"), ".p", "E")
p.merge(task_func=m, input=t, output="all.m").follows(mk)
RUN_KWARGS = {"pipeline": "oo"}
PRINTOUT_KWARGS = {"pipeline": "oo"}
