from ruffus import *
from ruffus.combinatorics import *
from _record import record

@posttask(touch_file("parallel.done"))
@parallel([["one", "x"], ["two", "y"]])
def p(name, value):
    record("p", name, value)
