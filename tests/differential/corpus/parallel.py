from ruffus import *
from ruffus.combinatorics import *
from _record import job

@parallel([["A", 1], ["B", 2]])
def p(name, n):
    job("p", name, None, n)
