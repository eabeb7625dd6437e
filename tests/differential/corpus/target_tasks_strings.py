from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@transform(mk, suffix(".o"), ".u")
def u(i, o):
    record("u", i, o)

@transform(mk, suffix(".o"), ".v")
def v(i, o):
    record("v", i, o)

@merge([u, v], "uv")
def w(i, o):
    record("w", i, o)

RUN_KWARGS = {"target_tasks": ["u", "v"]}
PRINTOUT_KWARGS = {"target_tasks": ["u", "v"]}
