from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.in"]:
    open(_f, "w").write(_f)

@transform(["a.in"], formatter(), "{basename[0]}.out", "{{literal}} {basename[0]}", 42, None, 1.5, ["{ext[0]}", 2], ("{basename[0]}", "t"), True)
def f(i, o, s, n, none, fl, lst, tup, flag):
    record("f", i, o, s, n, none, fl, lst, tup, flag)
