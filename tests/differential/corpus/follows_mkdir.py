from ruffus import *
from ruffus.combinatorics import *
from _record import record

@follows(mkdir("d1", "d2/sub"))
@originate(["d1/a.x", "d2/sub/b.x"])
def mk(o):
    record("mk", None, o)
