from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["old.flag"]:
    open(_f, "w").write("existing flag")

@posttask(touch_file("old.flag"), touch_file("new.flag"))
@originate(["a.o"])
def mk(o):
    record("mk", None, o)
