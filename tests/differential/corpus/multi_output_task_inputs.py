from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate([["a.x", "a.log"], ["b.x", "b.log"]])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".x"), ".y")
def t(i, o):
    record("t", i, o)

@collate(mk, regex(r"(\w)\.x"), r"\1.col")
def c(i, o):
    record("c", i, o)

@product(mk, formatter(), mk, formatter(), "{basename[0][0]}{basename[1][0]}.pp")
def pp(i, o):
    record("pp", i, o)
