from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["x.data", "y.data"]:
    open(_f, "w").write(_f)

@transform("*.data", regex(r"^(.*)$"), r"\1.copy", r"\1")
def copy(i, o, whole):
    record("copy", i, o, whole)

@transform(copy, regex(r"^(?P<stem>.*)\.data\.copy$"), r"\g<stem>.final")
def final(i, o):
    record("final", i, o)
