from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["sample_A_r1.fq", "sample_B_r2.fq"]:
    open(_f, "w").write(_f)

@transform("sample_*.fq", regex(r"sample_(\w)_r(\d)\.fq"), [r"\1/\2.aln", r"\g<0>.bak"], r"\1-\2", [r"\2", 3], {"key": r"\1"})
def aln(i, o, tag, lst, dct):
    record("aln", i, o, tag, lst, dct)
