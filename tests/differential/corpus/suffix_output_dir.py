from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['a.in', 'b.in']:
    open(_f, 'w').write(_f)

@transform(["a.in", "b.in"], suffix(".in"), ".out", output_dir="outdir")
def f(i, o):
    record("f", i, o)
