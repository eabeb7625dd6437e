from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['run12.dat', 'run7.dat']:
    open(_f, 'w').write(_f)

@transform("*.dat", formatter(r"run(\d+)\.dat"), "r{1[0]}.res")
def f(i, o):
    record("f", i, o)
