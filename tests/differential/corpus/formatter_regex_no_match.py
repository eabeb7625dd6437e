from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["good_1.z", "bad.z", "good_2.z"]:
    open(_f, "w").write(_f)

@transform("*.z", formatter(r"good_(?P<N>\d)\.z$"), "out_{N[0]}.res")
def f(i, o):
    record("f", i, o)

@collate("*.z", formatter(r"(?P<K>good)_\d\.z$"), "{K[0]}.all")
def g(i, o):
    record("g", i, o)
