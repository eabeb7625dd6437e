from ruffus import *
from ruffus.combinatorics import *
from _record import record

def params():
    for n in range(3):
        yield ["job%d" % n, n, n * n]

@parallel(params)
def p(name, n, sq):
    record("p", name, n, sq)

@follows(p)
@parallel([["after", 0, 0]])
def q(name, n, sq):
    record("q", name, n, sq)
