from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".p")
def t(i, o):
    record("t", i, o)

RUN_KWARGS = {"runtime_data": {"a": [1]}}
PRINTOUT_KWARGS = {"runtime_data": {"a": [1]}}
