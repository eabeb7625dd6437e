from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), [".p", 5, None, [".q", 2.5]])
def t(i, o):
    record("t", i, o)

@transform(t, suffix(".p"), ".r")
def u(i, o):
    record("u", i, o)
