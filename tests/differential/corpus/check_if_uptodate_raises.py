from ruffus import *
from ruffus.combinatorics import *
from _record import record

def broken(*args):
    raise RuntimeError("cannot decide")

@check_if_uptodate(broken)
@originate(["a.o"])
def mk(o):
    record("mk", None, o)
