from ruffus import *
from ruffus.combinatorics import *
from _record import record

@follows(mkdir(["one", "two/deep"]), mkdir("three"))
@originate(["one/a.x", "two/deep/b.x", "three/c.x"])
def mk(o):
    record("mk", None, o)

@follows(mkdir("out"))
@transform(mk, formatter(), "out/{basename[0]}.y")
def t(i, o):
    record("t", i, o)
