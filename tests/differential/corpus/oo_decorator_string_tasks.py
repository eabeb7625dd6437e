from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

p = Pipeline("strings")
p.originate(mk, ["a.o", "b.o"], name="maker")
p.transform(t, output_from("maker"), suffix(".o"), ".t", name="step1")
p.transform(t, "step1", suffix(".t"), ".u", name="step2").follows("maker")
RUN_KWARGS = {"pipeline": "strings", "target_tasks": ["step2"]}
PRINTOUT_KWARGS = {"pipeline": "strings", "target_tasks": ["step2"]}
