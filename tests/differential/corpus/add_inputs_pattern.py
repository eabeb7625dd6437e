from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in', 'a.idx', 'b.in', 'b.idx']:
    open(_f, 'w').write(_f)

@transform(["a.in", "b.in"], regex(r"(.+)\.in"), add_inputs(r"\1.idx"), r"\1.out")
def f(i, o):
    record("f", i, o)
