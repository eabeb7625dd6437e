from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["shared.ref"]:
    open(_f, "w").write(_f)

@originate(["p.q", "r.q"])
def mk(o):
    record("mk", None, o)

@permutations(mk, formatter(), 2, add_inputs("shared.ref", "{path[0][0]}/{basename[1][0]}.q"), "{basename[0][0]}{basename[1][0]}.perm")
def perm(i, o):
    record("perm", i, o)
