from ruffus import *
from ruffus.combinatorics import *
from _record import record

@posttask(touch_file("flag.done"))
@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".p")
@posttask(touch_file("flag2.done"))
def t(i, o):
    record("t", i, o)
