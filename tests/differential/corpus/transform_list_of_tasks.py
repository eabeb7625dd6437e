from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.x"])
def one(o):
    record("one", None, o)

@originate(["b.x", "c.x"])
def two(o):
    record("two", None, o)

@transform([one, two], suffix(".x"), ".y")
def t(i, o):
    record("t", i, o)

@merge([t, one], "all")
def m(i, o):
    record("m", i, o)
