from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.left", "b.left"])
def left(o):
    record("left", None, o)

@originate(["1.right", "2.right"])
def right(o):
    record("right", None, o)

@product(left, formatter(r"(?P<L>\w)\.left$"), right, formatter(r"(?P<R>\d)\.right$"),
         "{L[0][0]}{R[1][0]}.prod", "{basename[0][0]}-{basename[1][0]}", "{path[0][0]}", 9)
def prod(i, o, names, p, n):
    record("prod", i, o, names, p, n)
