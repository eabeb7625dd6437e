from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".p")
def p(i, o):
    record("p", i, o)

@transform(p, suffix(".p"), ".q")
def q(i, o):
    record("q", i, o)

RUN_KWARGS = {"forcedtorun_tasks": [p], "target_tasks": [q], "gnu_make_maximal_rebuild_mode": False}
PRINTOUT_KWARGS = {"forcedtorun_tasks": [p], "target_tasks": [q], "gnu_make_maximal_rebuild_mode": False}
