from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ['s_1.fq', 's_2.fq', 't_1.fq']:
    open(_f, 'w').write(_f)

@transform("*.fq", regex(r"(?P<sample>\w)_(?P<read>\d)\.fq$"), r"\g<sample>.\g<read>.bam", r"\g<sample>")
def f(i, o, s):
    record("f", i, o, s)
