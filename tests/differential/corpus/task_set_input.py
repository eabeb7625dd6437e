from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["first.in", "second.in"]:
    open(_f, "w").write(_f)

def t(i, o):
    record("t", i, o)

p = Pipeline("si")
task = p.transform(t, "first.in", suffix(".in"), ".out")
task.set_input(input="second.in")
RUN_KWARGS = {"pipeline": "si"}
PRINTOUT_KWARGS = {"pipeline": "si"}
