from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate("a.first")
def first(o):
    record("first", None, o)

@follows("first")
@originate("b.second")
def second(o):
    record("second", None, o)

@follows(second, first)
@merge([first, second], "both")
def both(i, o):
    record("both", i, o)
