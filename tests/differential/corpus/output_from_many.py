from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["plain.txt"]:
    open(_f, "w").write(_f)

@originate(["a.one"])
def one(o):
    record("one", None, o)

@originate(["b.two", "c.two"])
def two(o):
    record("two", None, o)

@transform([output_from("one", "two"), "plain.txt"], formatter(), "{basename[0]}.t")
def t(i, o):
    record("t", i, o)
