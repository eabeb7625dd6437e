from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['old.chunk', 'big.txt']:
    open(_f, 'w').write(_f)

@split("big.txt", "*.chunk")
def s(i, o):
    record("s", i, o)
    for n in range(2):
        open("new%d.chunk" % n, "w").write("n")

@transform(s, suffix(".chunk"), ".c2")
def t(i, o):
    record("t", i, o)
