from ruffus import *
from ruffus.combinatorics import *
from _record import job

@originate("a.first")
def first(o):
    job("first", None, o)

@follows("first")
@originate("b.second")
def second(o):
    job("second", None, o)

@follows(second, first)
@merge([first, second], "both")
def both(i, o):
    job("both", i, o)
