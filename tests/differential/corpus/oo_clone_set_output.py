from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

base = Pipeline("src")
first = base.originate(mk, ["base.o"])
base.transform(t, first, suffix(".o"), ".t")
base.set_head_tasks([first])
base.set_tail_tasks([base["t"]])
other = base.clone("src_copy")
other.set_output(output=["copy1.o", "copy2.o"])
top = Pipeline("both")
top.merge(task_func=t, input=[base, other], output="all.t", name="join")
RUN_KWARGS = {"pipeline": "both"}
PRINTOUT_KWARGS = {"pipeline": "both"}
