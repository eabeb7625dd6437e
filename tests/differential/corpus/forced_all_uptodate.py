from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in"]:
    open(_f, "w").write(_f)

@transform(["a.in"], suffix(".in"), ".mid")
def mid(i, o):
    record("mid", i, o)

@transform(mid, suffix(".mid"), ".end")
def end(i, o):
    record("end", i, o)

RUN_KWARGS = {"forcedtorun_tasks": ["mid"]}
