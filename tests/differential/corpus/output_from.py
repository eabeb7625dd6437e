from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o", "b.o"])
def mk(o):
    record("mk", None, o)

@originate("c.o")
def mk2(o):
    record("mk2", None, o)

@merge([output_from("mk"), mk2], "all.m")
def m(i, o):
    record("m", i, o)
