from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.left", "a.right", "b.left", "b.right"]:
    open(_f, "w").write(_f)

@transform([["a.left", "a.right"], ["b.left", "b.right"]], formatter(None, r"(?P<S>\w)\.right$"), "{S[1]}.pair", "{basename[0]}+{basename[1]}")
def pair(i, o, names):
    record("pair", i, o, names)
