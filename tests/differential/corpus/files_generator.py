from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in', 'b.in', 'c.in']:
    open(_f, 'w').write(_f)

def params():
    for x in "abc":
        yield x + ".in", x + ".gen", x.upper()

@files(params)
def f(i, o, e):
    record("f", i, o, e)
