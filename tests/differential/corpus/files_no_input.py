from ruffus import *
from ruffus.combinatorics import *
from _record import record

@files(None, "made.out")
def f(i, o):
    record("f", i, o)

@transform(f, suffix(".out"), ".next")
def g(i, o):
    record("g", i, o)
