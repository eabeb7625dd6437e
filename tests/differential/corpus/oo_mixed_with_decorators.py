from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["d.o"])
def deco(o):
    record("deco", None, o)

def t(i, o):
    record("t", i, o)

def m(i, o):
    record("m", i, o)

p = Pipeline("mixed")
p.transform(t, deco, suffix(".o"), ".t")
p.merge(m, t, "mixed.m")

@transform(p["m"], suffix(".m"), ".back")
def back(i, o):
    record("back", i, o)
