from ruffus import *
from ruffus.combinatorics import *
from _record import record

@parallel([["A", 1], ["B", 2]])
def p(name, n):
    record("p", name, None, n)
