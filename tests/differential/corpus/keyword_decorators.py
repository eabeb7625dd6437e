from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(output=["a.k", "b.k"], extras=["orig"])
def mk(o, e):
    record("mk", None, o, e)

@transform(input=mk, filter=suffix(".k"), output=".t", extras=[r"\1", 4])
def t(i, o, stem, n):
    record("t", i, o, stem, n)

@merge(input=t, output="all.m", extras=["merged"])
def m(i, o, e):
    record("m", i, o, e)

@subdivide(input=m, filter=formatter(), output="{basename[0]}.*.piece", extras=["{basename[0]}"])
def sub(i, o, stem):
    record("sub", i, o, stem)
    open(stem + ".1.piece", "w").write("1")
