from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o", "b.o"])
def mk(o):
    record("mk", None, o)

@active_if(False)
@transform(mk, suffix(".o"), ".off")
def off(i, o):
    record("off", i, o)

@active_if(lambda: True)
@transform(mk, suffix(".o"), ".on")
def on(i, o):
    record("on", i, o)

@merge([on, off], "all")
def m(i, o):
    record("m", i, o)
