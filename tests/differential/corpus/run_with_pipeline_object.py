from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

p = Pipeline("by_object")
made = p.originate(mk, ["a.o"])
p.transform(t, made, suffix(".o"), ".t")
RUN_KWARGS = {"pipeline": p}
PRINTOUT_KWARGS = {"pipeline": p}
