from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.raw", "b.raw"]:
    open(_f, "w").write(_f)

@follows(mkdir("processed"))
@transform("*.raw", regex(r"(\w)\.raw$"), r"processed/\1.done", r"processed")
def proc(i, o, d):
    record("proc", i, o, d)

@transform(proc, formatter(), "{subdir[0][0]}_{basename[0]}.flat")
def flat(i, o):
    record("flat", i, o)
