from ruffus import *
from ruffus.combinatorics import *
from _record import record

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

p = Pipeline("dirs")
made = p.originate(mk, ["a.in", "b.in"])
dirs = p.mkdir(made, formatter(), "store/{basename[0]}", name="make_store")
p.transform(t, made, formatter(), "store/{basename[0]}/{basename[0]}.out").follows(dirs).mkdir("logs")
RUN_KWARGS = {"pipeline": "dirs"}
PRINTOUT_KWARGS = {"pipeline": "dirs"}
