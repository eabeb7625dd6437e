from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["s1.raw", "s2.raw"]:
    open(_f, "w").write(_f)

@mkdir(["s1.raw", "s2.raw"], regex(r"(\w\d)\.raw"), r"work_\1")
@transform(["s1.raw", "s2.raw"], regex(r"(\w\d)\.raw"), r"work_\1/\1.cooked")
def cook(i, o):
    record("cook", i, o)

@mkdir(cook, suffix(".cooked"), ".plated")
@transform(cook, suffix(".cooked"), ".plated/served")
def serve(i, o):
    record("serve", i, o)
