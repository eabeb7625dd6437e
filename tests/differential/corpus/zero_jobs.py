from ruffus import *
from ruffus.combinatorics import *
from _record import record

@transform("*.nothing", suffix(".nothing"), ".x")
def none(i, o):
    record("none", i, o)

@merge(none, "merged.x")
def m(i, o):
    record("m", i, o)
