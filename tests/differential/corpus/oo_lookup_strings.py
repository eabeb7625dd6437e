from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

def m(i, o):
    record("m", i, o)

left = Pipeline("left")
left.originate(mk, ["l.o"], name="make")
left.transform(t, "make", suffix(".o"), ".t", name="step")
right = Pipeline("right")
right.originate(mk, ["r.o"], name="make")
right.merge(m, [output_from("left::step"), output_from("right::make")], "lr.m", name="join")
RUN_KWARGS = {"pipeline": "right"}
PRINTOUT_KWARGS = {"pipeline": "right"}
