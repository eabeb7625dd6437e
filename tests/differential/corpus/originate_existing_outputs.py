from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["already.o"]:
    open(_f, "w").write("made before the run")

@originate(["already.o", "new.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".p")
def t(i, o):
    record("t", i, o)
