from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["p.big", "q.big"]:
    open(_f, "w").write(_f)

@subdivide("*.big", formatter(), add_inputs("p.big"), ["{basename[0]}.*.piece", "{basename[0]}.index"], "{basename[0]}", 2)
def pieces(i, o, stem, n):
    record("pieces", i, o, stem, n)
    for k in range(n):
        open("%s.%d.piece" % (stem, k), "w").write(stem)
