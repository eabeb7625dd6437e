from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in [".hidden", "noext", "two.dots.here"]:
    open(_f, "w").write(_f)

@transform([".hidden", "noext", "two.dots.here"], formatter(), "{basename[0]}__{ext[0]}.fmt")
def f(i, o):
    record("f", i, o)
