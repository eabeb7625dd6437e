from ruffus import *
@originate(["a.1", "b.1"])
def mk(o): open(o, "w").write("x")
@transform(mk, suffix(".1"), ".2")
def t(i, o): open(o, "w").write(open(i).read() + "y")
@merge(t, "all.3")
def m(i, o): open(o, "w").write("".join(open(x).read() for x in i))
