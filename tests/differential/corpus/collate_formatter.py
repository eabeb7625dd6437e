from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["ctrl_1.dat", "ctrl_2.dat", "treat_1.dat", "treat_2.dat", "treat_3.dat"]:
    open(_f, "w").write(_f)

@collate("*.dat", formatter(r"(?P<GROUP>\w+)_\d\.dat$"), "{GROUP[0]}.grouped", "{GROUP[0]}", "{path[0]}")
def grp(i, o, g, p):
    record("grp", i, o, g, p)
