from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in', 'b.in', 'extra.txt']:
    open(_f, 'w').write(_f)

@transform(["a.in", "b.in"], suffix(".in"), inputs(r"\1.in", "extra.txt"), ".out")
def f(i, o):
    record("f", i, o)
