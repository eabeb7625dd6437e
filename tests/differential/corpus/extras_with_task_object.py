from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".t", "{not formatted}", r"\1")
def t(i, o, braces, backref):
    record("t", i, o, braces, backref)
