from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("d", exist_ok=True)
for _f in ["d/a.x", "d/b.x", "d/a.idx", "d/b.idx", "shared.ref"]:
    open(_f, "w").write(_f)

@transform("d/*.x", formatter(), add_inputs("{path[0]}/{basename[0]}.idx", "shared.ref"), "{path[0]}/{basename[0]}.with")
def withidx(i, o):
    record("withidx", i, o)

@transform(withidx, formatter(), inputs("{path[0]}/{basename[0]}.idx"), "{basename[0]}.only")
def only(i, o):
    record("only", i, o)
