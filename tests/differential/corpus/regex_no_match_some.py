from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["keep1.txt", "keep2.txt", "skip.dat", "other.txt"]:
    open(_f, "w").write(_f)

@transform(["keep1.txt", "keep2.txt", "skip.dat", "other.txt"], regex(r"keep(\d)\.txt$"), r"kept\1.out")
def keep(i, o):
    record("keep", i, o)

@merge(keep, "kept.all")
def all_kept(i, o):
    record("all_kept", i, o)
