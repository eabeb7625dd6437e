from ruffus import *
from ruffus.combinatorics import *
from _record import record

p = Pipeline("nothing_here")
RUN_KWARGS = {"pipeline": "nothing_here"}
PRINTOUT_KWARGS = {"pipeline": "nothing_here"}
