from ruffus import *
from ruffus.combinatorics import *
from _record import job

@originate(["a.o"])
def mk(o):
    job("mk", None, o)

@transform(mk, suffix(".o"), ".p")
def t(i, o):
    job("t", i, o)

RUN_KWARGS = {"forcedtorun_tasks": ["t"]}
PRINTOUT_KWARGS = {"forcedtorun_tasks": ["t"]}
