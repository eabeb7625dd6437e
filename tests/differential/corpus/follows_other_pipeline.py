from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

other = Pipeline("other")
other.originate(mk, ["other.o"], name="make_other")

@follows("other::make_other")
@originate(["main.o"])
def main_task(o):
    record("main_task", None, o)
