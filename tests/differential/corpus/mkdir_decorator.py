from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in', 'b.in']:
    open(_f, 'w').write(_f)

@mkdir(["a.in", "b.in"], formatter(), "dirs/{basename[0]}")
@transform(["a.in", "b.in"], formatter(), "dirs/{basename[0]}/{basename[0]}.out")
def f(i, o):
    record("f", i, o)
