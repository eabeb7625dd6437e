from ruffus import *
from ruffus.combinatorics import *
from _record import job

for _f in ['big.txt']:
    open(_f, 'w').write(_f)

@split("big.txt", ["p1.part", "p2.part", "p3.part"])
def s(i, o):
    job("s", i, o)

@transform(s, suffix(".part"), ".done")
def t(i, o):
    job("t", i, o)

@merge(t, "final")
def m(i, o):
    job("m", i, o)
