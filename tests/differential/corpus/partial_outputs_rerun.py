from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.o"])
def mk(o):
    record("mk", None, o)

# writes only its first output: the second run must run it again
@transform(mk, suffix(".o"), [".p", ".never"])
def half(i, o):
    record("half", i, o[0])
