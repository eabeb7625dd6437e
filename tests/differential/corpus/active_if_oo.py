from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

def m(i, o):
    record("m", i, o)

p = Pipeline("act")
made = p.originate(mk, ["a.o", "b.o"])
skipped = p.transform(t, made, suffix(".o"), ".t", name="skipped").active_if(False)
kept = p.transform(t, made, suffix(".o"), ".k", name="kept")
p.merge(m, [skipped, kept], "all.m")
RUN_KWARGS = {"pipeline": "act"}
PRINTOUT_KWARGS = {"pipeline": "act"}
