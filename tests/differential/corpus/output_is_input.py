from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["same.txt"]:
    open(_f, "w").write(_f)

@transform(["same.txt"], suffix(".txt"), ".txt")
def inplace(i, o):
    record("inplace", i, o)

@transform(inplace, suffix(".txt"), ".next")
def nxt(i, o):
    record("nxt", i, o)
