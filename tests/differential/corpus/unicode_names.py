from ruffus import *
from ruffus.combinatorics import *
from _record import job

@originate(["données.o", "naïve.o"])
def mk(o):
    job("mk", None, o)

@transform(mk, suffix(".o"), ".ü")
def t(i, o):
    job("t", i, o)
