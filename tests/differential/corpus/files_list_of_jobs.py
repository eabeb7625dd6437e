from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in', 'b.in']:
    open(_f, 'w').write(_f)

@files([["a.in", "a.out", 1], ["b.in", "b.out", 2]])
def f(i, o, n):
    record("f", i, o, n)
