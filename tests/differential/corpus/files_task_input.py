from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["seed.o"])
def mk(o):
    record("mk", None, o)

@files(mk, "from_task.out")
def f(i, o):
    record("f", i, o)

@files(output_from("f"), "chained.out", 3)
def g(i, o, n):
    record("g", i, o, n)
