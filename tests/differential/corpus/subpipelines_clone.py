from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

def m(i, o):
    record("m", i, o)

def make(name, prefix):
    p = Pipeline(name)
    first = p.originate(mk, [prefix + ".o"])
    last = p.transform(t, first, suffix(".o"), ".p")
    p.set_head_tasks([first])
    p.set_tail_tasks([last])
    return p

one = make("one", "x")
two = make("two", "y")
top = Pipeline("top")
top.merge(m, [one, two], "joined.m")
RUN_KWARGS = {"pipeline": "top"}
PRINTOUT_KWARGS = {"pipeline": "top"}
