from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os
open("real.txt", "w").write("real")
if not os.path.lexists("link.txt"):
    os.symlink("real.txt", "link.txt")

@transform(["link.txt"], suffix(".txt"), ".out")
def f(i, o):
    record("f", i, o)
