from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.1', 'b.1', 'a.2', 'b.2']:
    open(_f, 'w').write(_f)

@transform([["a.1", "a.2"], ["b.1", "b.2"]], formatter(r"(?P<L>\w)\.1$", r"\.2$"), "{L[0]}.pair", "{basename[1]}")
def f(i, o, b):
    record("f", i, o, b)
