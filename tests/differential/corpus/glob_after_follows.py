from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os

@originate(["made.flag"])
def maker(o):
    record("maker", None, o)
    for n in range(2):
        open("late%d.g" % n, "w").write("late")

@follows(maker)
@transform("*.g", suffix(".g"), ".h")
def later(i, o):
    record("later", i, o)
