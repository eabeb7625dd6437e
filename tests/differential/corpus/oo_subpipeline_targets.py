from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

def make(name, prefix):
    p = Pipeline(name)
    head = p.originate(mk, [prefix + ".o"], name="head")
    mid = p.transform(t, head, suffix(".o"), ".mid", name="mid")
    tail = p.transform(t, mid, suffix(".mid"), ".tail", name="tail")
    p.set_head_tasks([head])
    p.set_tail_tasks([tail])
    return p

a = make("pa", "a")
b = make("pb", "b")
RUN_KWARGS = {"target_tasks": ["pa::mid", "pb::tail"]}
PRINTOUT_KWARGS = {"target_tasks": ["pa::mid", "pb::tail"]}
