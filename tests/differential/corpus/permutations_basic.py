from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["a.p", "b.p", "c.p"])
def mk(o):
    record("mk", None, o)

@permutations(mk, formatter(), 2, "{basename[0][0]}_{basename[1][0]}.perm", "{ext[0][0]}{ext[1][0]}")
def perm(i, o, exts):
    record("perm", i, o, exts)
