from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["x_1.s", "x_2.s", "y_1.s", "x.meta", "y.meta"]:
    open(_f, "w").write(_f)

@collate("*.s", formatter(r"(?P<G>\w)_\d\.s$"), add_inputs("{G[0]}.meta"), ["{G[0]}.summary", "{G[0]}.list"], "{G[0]}", "{basename[0]}")
def c(i, o, g, first):
    record("c", i, o, g, first)
