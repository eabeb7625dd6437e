from ruffus import *
from ruffus.combinatorics import *
from _record import record

# in an input list a plain string is a file name, even when it names a task
@originate(["l.o"])
def make(o):
    record("make", None, o)

@merge([make, "make"], "both.m")
def join(i, o):
    record("join", i, o)
