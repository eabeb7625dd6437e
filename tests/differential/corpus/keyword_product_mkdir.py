from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(output=["a.k", "b.k"])
def mk(o):
    record("mk", None, o)

@mkdir(input=mk, filter=formatter(), output="dir_{basename[0]}")
@product(input=mk, filter=formatter(), input2=mk, filter2=formatter(), output="dir_{basename[0][0]}/{basename[1][0]}.prod", extras=["{ext[1][0]}"])
def prod(i, o, e):
    record("prod", i, o, e)

@collate(input=prod, filter=formatter(), output="{path[0]}/collected", extras=["{subdir[0][0]}"])
def col(i, o, e):
    record("col", i, o, e)
