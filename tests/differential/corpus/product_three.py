from ruffus import *
from ruffus.combinatorics import *
from _record import job

@originate(["a.x", "b.x"])
def mx(o):
    job("mx", None, o)

@originate(["1.y", "2.y"])
def my(o):
    job("my", None, o)

@originate(["p.z"])
def mz(o):
    job("mz", None, o)

@product(mx, formatter(), my, formatter(), mz, formatter(r"(?P<Z>\w)\.z"), "{basename[0][0]}{basename[1][0]}{Z[2][0]}.prod", "{ext[0][0]}")
def prod(i, o, e):
    job("prod", i, o, e)
