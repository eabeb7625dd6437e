from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["mk"]:
    open(_f, "w").write("a file named like the task")

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform("mk", suffix(""), ".from_file")
def t(i, o):
    record("t", i, o)
