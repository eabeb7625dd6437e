from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
here = os.getcwd()
for _f in ["a.in", "b.in"]:
    open(_f, "w").write(_f)

@transform([os.path.join(here, "a.in"), os.path.join(here, "b.in")], formatter(), "{path[0]}/{basename[0]}.abs", "{path[0]}")
def f(i, o, p):
    record("f", os.path.relpath(i), os.path.relpath(o), os.path.relpath(p))

@merge(f, os.path.join(here, "all.abs"))
def m(i, o):
    record("m", [os.path.relpath(x) for x in i], os.path.relpath(o))
