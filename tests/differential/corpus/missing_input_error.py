from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in"]:
    open(_f, "w").write(_f)

@transform(["a.in"], regex(r"(\w)\.in"), inputs(r"\1.missing"), r"\1.out")
def f(i, o):
    record("f", i, o)
