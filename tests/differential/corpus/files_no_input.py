from ruffus import *
from ruffus.combinatorics import *
from _record import job

@files(None, "made.out")
def f(i, o):
    job("f", i, o)

@transform(f, suffix(".out"), ".next")
def g(i, o):
    job("g", i, o)
