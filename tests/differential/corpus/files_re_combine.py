from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['x1.txt', 'x2.txt', 'y1.txt']:
    open(_f, 'w').write(_f)

@files_re("*.txt", r"(\w)\d\.txt", combine(r"\g<0>"), r"\1.all")
def f(i, o):
    record("f", i, o)
