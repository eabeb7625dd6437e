from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.1", "a.2", "b.1", "b.2", "c.1"]:
    open(_f, "w").write(_f)

@transform([["a.1", "a.2"], ("b.1", "b.2"), ["c.1"]], suffix(".1"), ".nest")
def f(i, o):
    record("f", i, o)

@transform(f, suffix(".nest"), [".n1", [".n2", ".n3"]])
def g(i, o):
    record("g", i, o)
