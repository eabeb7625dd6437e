from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a1.x', 'a2.x', 'b1.x', 'a.ref', 'b.ref']:
    open(_f, 'w').write(_f)

@collate(["a1.x", "a2.x", "b1.x"], regex(r"(\w)\d\.x"), add_inputs(r"\1.ref"), r"\1.col")
def c(i, o):
    record("c", i, o)
