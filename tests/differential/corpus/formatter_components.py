from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs('d1/d2', exist_ok=True)
for _f in ['d1/d2/a.x.gz', 'd1/d2/b.y.gz']:
    open(_f, 'w').write(_f)

@transform(["d1/d2/a.x.gz", "d1/d2/b.y.gz"], formatter(), "{subpath[0][1]}/{basename[0]}{ext[0]}.f", "{subdir[0][0]}", "{path[0]}")
def f(i, o, sd, p):
    record("f", i, o, sd, p)
