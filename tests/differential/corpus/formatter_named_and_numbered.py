from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["lane1_s01.fastq", "lane2_s02.fastq"]:
    open(_f, "w").write(_f)

@transform("*.fastq", formatter(r"lane(?P<LANE>\d)_s(\d+)\.fastq$"),
           "{path[0]}/L{LANE[0]}_S{2[0]}.bam", "{0[0]}", "{1[0]}", "{LANE[0]}{basename[0]}")
def bam(i, o, whole, lane, mix):
    record("bam", i, o, whole, lane, mix)
