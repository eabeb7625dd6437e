from ruffus import *
from ruffus.combinatorics import *
from _record import record

switch = {"on": False}

@originate(["a.o", "b.o"])
def mk(o):
    record("mk", None, o)

@active_if(True, lambda: switch["on"])
@transform(mk, suffix(".o"), ".both")
def both(i, o):
    record("both", i, o)

@active_if(True, 1)
@transform(mk, suffix(".o"), ".truthy")
def truthy(i, o):
    record("truthy", i, o)

@transform([both, truthy], suffix(".truthy"), ".after")
def after(i, o):
    record("after", i, o)
