from ruffus import *
from ruffus.combinatorics import *
from _record import record

def note():
    open("note.txt", "a").write("posttask ran\n")

@posttask(note, touch_file("t1.flag"))
@originate(["a.o", "b.o"])
def mk(o):
    record("mk", None, o)

@posttask(touch_file("sub/t2.flag"))
@follows(mkdir("sub"))
@merge(mk, "sub/merged")
def m(i, o):
    record("m", i, o)
