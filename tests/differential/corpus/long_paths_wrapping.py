from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
deep = "a_rather_long_directory_name/another_quite_long_directory_name/yet_another_level"
os.makedirs(deep, exist_ok=True)
for n in range(2):
    open("%s/input_file_number_%d_with_a_long_name.txt" % (deep, n), "w").write(str(n))

@transform(deep + "/*.txt", suffix(".txt"), ".processed_with_a_long_suffix", "an extra parameter with a long string value " * 3)
def f(i, o, e):
    record("f", i, o, e)

@merge(f, deep + "/merged_output_with_a_deliberately_long_name.result")
def m(i, o):
    record("m", i, o)
