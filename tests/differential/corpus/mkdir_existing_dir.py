from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("exists", exist_ok=True)

@mkdir("exists")
@originate(["exists/a.o"])
def mk(o):
    record("mk", None, o)

@mkdir(mk, formatter(), ["{path[0]}/d1", "{path[0]}/d2"])
@transform(mk, formatter(), "{path[0]}/d1/{basename[0]}.t")
def t(i, o):
    record("t", i, o)
