from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a', 'b', 'c']:
    open(_f, 'w').write(_f)

@merge([["a", ["b"]], "c"], "nested.out")
def m(i, o):
    record("m", i, o)
