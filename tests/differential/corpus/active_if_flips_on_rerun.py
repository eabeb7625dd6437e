from ruffus import *
from ruffus.combinatorics import *
from _record import record

import os

@originate(["switch"])
def make_switch(o):
    record("make_switch", None, o)

@active_if(lambda: os.path.exists("switch"))
@originate(["only_when_switched.o"])
def maybe(o):
    record("maybe", None, o)
