from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.x", "b.x"])
def mx(o):
    record("mx", None, o)

@originate(["1.y", "2.y"])
def my(o):
    record("my", None, o)

@originate(["p.z"])
def mz(o):
    record("mz", None, o)

@product(mx, formatter(), my, formatter(), mz, formatter(r"(?P<Z>\w)\.z"), "{basename[0][0]}{basename[1][0]}{Z[2][0]}.prod", "{ext[0][0]}")
def prod(i, o, e):
    record("prod", i, o, e)
