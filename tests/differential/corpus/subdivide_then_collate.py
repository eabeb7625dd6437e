from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.txt', 'b.txt']:
    open(_f, 'w').write(_f)

@subdivide(["a.txt", "b.txt"], formatter(), "{basename[0]}.*.sub", "{basename[0]}")
def sub(i, o, stem):
    record("sub", i, o, stem)
    for n in range(3):
        open("%s.%d.sub" % (stem, n), "w").write(stem)

@collate(sub, regex(r"(\w)\.\d\.sub"), r"\1.merged")
def col(i, o):
    record("col", i, o)
