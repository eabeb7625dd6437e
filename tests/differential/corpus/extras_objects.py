from ruffus import *
from ruffus.combinatorics import *
from _record import record

import datetime
import fractions
import pathlib

for _f in ["a.in"]:
    open(_f, "w").write(_f)

@transform(["a.in"], suffix(".in"), ".out", fractions.Fraction(1, 3), datetime.date(2020, 1, 2), pathlib.PurePosixPath("p/q"), {"nested": [1, ("t",)]}, {1, 2})
def f(i, o, frac, day, path, dct, st):
    record("f", i, o, frac, day, path, dct, st)
