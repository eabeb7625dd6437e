from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("src", exist_ok=True)
for _f in ["src/a.in", "src/b.in", "src/a.idx", "src/b.idx"]:
    open(_f, "w").write(_f)

@transform(["src/a.in", "src/b.in"], suffix(".in"), add_inputs(r"\1.idx"), ".out", r"\1.log", output_dir="res")
def f(i, o, log):
    record("f", i, o, log)

@transform(f, suffix(".out"), ".final", output_dir="res/final")
def g(i, o):
    record("g", i, o)
