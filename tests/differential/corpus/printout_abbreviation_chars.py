from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
os.makedirs("dir_one/dir_two", exist_ok=True)
for _f in ["dir_one/dir_two/some_input.in"]:
    open(_f, "w").write(_f)

@transform(["dir_one/dir_two/some_input.in"], suffix(".in"), ".out")
def f(i, o):
    record("f", i, o)

PRINTOUT_KWARGS = {"verbose_abbreviated_path": -20}
