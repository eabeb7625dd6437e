from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['x1.txt', 'x2.txt']:
    open(_f, 'w').write(_f)

@files_re("*.txt", r"(.+)\.txt", r"\1.txt", r"\1.res", r"\1")
def f(i, o, e):
    record("f", i, o, e)
