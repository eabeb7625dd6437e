from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.tar.gz", "b.tar.gz", "c"]:
    open(_f, "w").write(_f)

@transform(["a.tar.gz", "b.tar.gz"], suffix(".tar.gz"), ".unpacked")
def unpack(i, o):
    record("unpack", i, o)

@transform(["c"], suffix(""), ".more")
def more(i, o):
    record("more", i, o)

@transform(unpack, suffix(".unpacked"), ".un.packed.twice")
def again(i, o):
    record("again", i, o)
