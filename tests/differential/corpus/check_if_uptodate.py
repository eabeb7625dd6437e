from ruffus import *
from ruffus.combinatorics import *
from _record import record

def never_up_to_date(*params):
    return True, "always run"

def always_up_to_date(*params):
    return False, "never run"

@check_if_uptodate(never_up_to_date)
@originate(["a.o"])
def mk(o):
    record("mk", None, o)

@check_if_uptodate(always_up_to_date)
@transform(mk, suffix(".o"), ".p")
def t(i, o):
    record("t", i, o)
