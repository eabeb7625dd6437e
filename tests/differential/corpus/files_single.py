from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in']:
    open(_f, 'w').write(_f)

@files("a.in", "a.out")
def f(i, o):
    record("f", i, o)
