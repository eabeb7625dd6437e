from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

def m(i, o):
    record("m", i, o)

base = Pipeline("base3")
head = base.transform(t, None, suffix(".in"), ".mid", name="head")
tail = base.transform(t, head, suffix(".mid"), ".out", name="tail")
base.set_head_tasks([head])
base.set_tail_tasks([tail])
for _f in ["1.in", "2.in", "3.in"]:
    open(_f, "w").write(_f)
clones = []
for n in (1, 2, 3):
    c = base.clone("clone%d" % n)
    c.set_input(input="%d.in" % n)
    clones.append(c)
final = Pipeline("final3")
final.merge(m, clones, "all3.m")
RUN_KWARGS = {"pipeline": "final3"}
PRINTOUT_KWARGS = {"pipeline": "final3"}
