from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
for _f in ["whole.txt"]:
    open(_f, "w").write(_f)

@split("whole.txt", "parts/*.p", "extra")
def s(i, o, e):
    record("s", i, o, e)
    os.makedirs("parts", exist_ok=True)
    for n in range(3):
        open("parts/%d.p" % n, "w").write(str(n))

@transform(s, suffix(".p"), ".q")
def t(i, o):
    record("t", i, o)
