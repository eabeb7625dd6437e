from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['big.txt']:
    open(_f, 'w').write(_f)

@split("big.txt", ["p1.part", "p2.part", "p3.part"])
def s(i, o):
    record("s", i, o)

@transform(s, suffix(".part"), ".done")
def t(i, o):
    record("t", i, o)

@merge(t, "final")
def m(i, o):
    record("m", i, o)
