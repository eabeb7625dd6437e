from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["g1.gg", "g2.gg", "single.file"]:
    open(_f, "w").write(_f)

@originate(["t1.tt"])
def mk(o):
    record("mk", None, o)

@transform([mk, "*.gg", "single.file"], formatter(), "{basename[0]}{ext[0]}.mixed")
def mix(i, o):
    record("mix", i, o)
