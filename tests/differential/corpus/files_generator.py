from ruffus import *
from ruffus.combinatorics import *
from _record import job

for _f in ['a.in', 'b.in', 'c.in']:
    open(_f, 'w').write(_f)

def params():
    for x in "abc":
        yield x + ".in", x + ".gen", x.upper()

@files(params)
def f(i, o, e):
    job("f", i, o, e)
