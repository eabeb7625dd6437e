from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

p = Pipeline("named")
p.originate(name="make_files", task_func=mk, output=["a.o"])
p.transform(name="step", task_func=t, input="make_files", filter=suffix(".o"), output=".p")
p.transform(name="step2", task_func=t, input=output_from("named::step"), filter=suffix(".p"), output=".q")
RUN_KWARGS = {"pipeline": "named"}
PRINTOUT_KWARGS = {"pipeline": "named"}
