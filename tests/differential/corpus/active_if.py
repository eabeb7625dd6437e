from ruffus import *
from ruffus.combinatorics import *
from _record import job

@originate(["a.o", "b.o"])
def mk(o):
    job("mk", None, o)

@active_if(False)
@transform(mk, suffix(".o"), ".off")
def off(i, o):
    job("off", i, o)

@active_if(lambda: True)
@transform(mk, suffix(".o"), ".on")
def on(i, o):
    job("on", i, o)

@merge([on, off], "all")
def m(i, o):
    job("m", i, o)
