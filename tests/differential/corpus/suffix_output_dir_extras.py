from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("src", exist_ok=True)
for _f in ["src/a.in", "src/b.in"]:
    open(_f, "w").write(_f)

@transform(["src/a.in", "src/b.in"], suffix(".in"), [".out", r"\1.second"], r"\1.log", "fixed", output_dir="res")
def f(i, o, log, fixed):
    record("f", i, o, log, fixed)

@transform(f, suffix(".out"), ".final", output_dir="res/final")
def g(i, o):
    record("g", i, o)
