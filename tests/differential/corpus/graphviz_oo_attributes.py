from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

p = Pipeline("gv")
made = p.originate(mk, ["a.o"]).graphviz(label_prefix="PRE: ", label_suffix=" :POST", fillcolor="#FF0000", shape="ellipse")
p.transform(t, made, suffix(".o"), ".t").graphviz(URL="http://example.com", height=1.5, peripheries=3, label="<b>T</b>")
RUN_KWARGS = {"pipeline": "gv"}
PRINTOUT_KWARGS = {"pipeline": "gv"}
