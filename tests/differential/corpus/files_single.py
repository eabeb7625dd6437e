from ruffus import *
from ruffus.combinatorics import *
from _record import job

for _f in ['a.in']:
    open(_f, 'w').write(_f)

@files("a.in", "a.out")
def f(i, o):
    job("f", i, o)
