from ruffus import *
from ruffus.combinatorics import *
from _record import job

@originate(["a.o", "b.o"])
def mk(o):
    job("mk", None, o)

@originate("c.o")
def mk2(o):
    job("mk2", None, o)

@merge([output_from("mk"), mk2], "all.m")
def m(i, o):
    job("m", i, o)
