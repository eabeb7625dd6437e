from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def start(o):
    record("start", None, o)

@follows(start)
def middle():
    record("middle")

@follows(middle, "start")
@transform(start, suffix(".o"), ".end")
def end(i, o):
    record("end", i, o)
