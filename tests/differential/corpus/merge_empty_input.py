from ruffus import *
from ruffus.combinatorics import *
from _record import record

@transform("*.absent", suffix(".absent"), ".x")
def none(i, o):
    record("none", i, o)

@collate(none, regex(r"(.)\.x"), r"\1.col")
def col(i, o):
    record("col", i, o)

@merge([], "empty.merge")
def empty(i, o):
    record("empty", i, o)
