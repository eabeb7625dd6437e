from ruffus import *
from ruffus.combinatorics import *
from _record import job

for _f in ['a.txt', 'b.txt']:
    open(_f, 'w').write(_f)

@subdivide(["a.txt", "b.txt"], formatter(), "{basename[0]}.*.sub", "{basename[0]}")
def sub(i, o, stem):
    job("sub", i, o, stem)
    for n in range(3):
        open("%s.%d.sub" % (stem, n), "w").write(stem)

@collate(sub, regex(r"(\w)\.\d\.sub"), r"\1.merged")
def col(i, o):
    job("col", i, o)
