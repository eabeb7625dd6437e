from ruffus import *
from ruffus.combinatorics import *
from _record import job

for _f in ['old.chunk', 'big.txt']:
    open(_f, 'w').write(_f)

@split("big.txt", "*.chunk")
def s(i, o):
    job("s", i, o)
    for n in range(2):
        open("new%d.chunk" % n, "w").write("n")

@transform(s, suffix(".chunk"), ".c2")
def t(i, o):
    job("t", i, o)
