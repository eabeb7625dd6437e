from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in', 'b.other']:
    open(_f, 'w').write(_f)

@transform(["a.in", "b.other"], suffix(".in"), ".out")
def f(i, o):
    record("f", i, o)
