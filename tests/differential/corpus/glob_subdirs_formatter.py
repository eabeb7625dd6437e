from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
for d in ["data/x", "data/y"]:
    os.makedirs(d, exist_ok=True)
for _f in ["data/x/1.txt", "data/y/2.txt", "data/y/3.txt"]:
    open(_f, "w").write(_f)

@collate("data/*/*.txt", formatter(), "{subdir[0][0]}.collected", "{subpath[0][1]}")
def col(i, o, sp):
    record("col", i, o, sp)
