from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['in1.a', 'in2.a']:
    open(_f, 'w').write(_f)

def t(i, o):
    record("t", i, o)

base = Pipeline("base")
base.transform(t, input=None, filter=suffix(".a"), output=".b")
base.set_head_tasks([base["t"]])
copy = base.clone("copy")
copy.set_input(input="in2.a")
base.set_input(input="in1.a")
top = Pipeline("top2")
top.merge(task_func=lambda i, o: record("m", i, o), input=[base, copy], output="both.m", name="m")
RUN_KWARGS = {"pipeline": "top2"}
PRINTOUT_KWARGS = {"pipeline": "top2"}
