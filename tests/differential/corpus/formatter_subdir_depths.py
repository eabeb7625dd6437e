from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("top/mid/low", exist_ok=True)
for _f in ["top/mid/low/a.x", "top/mid/low/b.x"]:
    open(_f, "w").write(_f)

@transform("top/mid/low/*.x", formatter(),
           "{subpath[0][2]}/{basename[0]}.y",
           "{subdir[0][0]}|{subdir[0][1]}|{subdir[0][2]}",
           "{subpath[0][0]}|{subpath[0][1]}",
           "{path[0]}|{ext[0]}")
def f(i, o, subdirs, subpaths, rest):
    record("f", i, o, subdirs, subpaths, rest)
