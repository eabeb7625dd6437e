from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".p")
def t(i, o):
    record("t", i, o)

RUN_KWARGS = {"history_file": "custom_history.sqlite"}
PRINTOUT_KWARGS = {"history_file": "custom_history.sqlite"}
