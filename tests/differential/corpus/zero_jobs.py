from ruffus import *
from ruffus.combinatorics import *
from _record import job

@transform("*.nothing", suffix(".nothing"), ".x")
def none(i, o):
    job("none", i, o)

@merge(none, "merged.x")
def m(i, o):
    job("m", i, o)
