from ruffus import *
from ruffus.combinatorics import *
from _record import record

def note():
    open("post.txt", "a").write("post\n")

def never(*args):
    return True, "forced"

def mk(o):
    record("mk", None, o)

def t(i, o):
    record("t", i, o)

def m(i, o):
    record("m", i, o)

p = Pipeline("methods")
made = p.originate(mk, ["a.o", "b.o"]).posttask(note, touch_file("made.flag")).jobs_limit(1)
step = p.transform(t, made, suffix(".o"), ".t").follows(made).check_if_uptodate(never)
p.merge(m, step, "m.out").active_if(True).follows(mkdir("unused_dir"))
RUN_KWARGS = {"pipeline": "methods"}
PRINTOUT_KWARGS = {"pipeline": "methods"}
