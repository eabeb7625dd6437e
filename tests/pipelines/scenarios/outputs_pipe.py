import glob
import os
from ruffus import *


@originate(["g1_a.in", "g1_b.in", "g2_c.in"])
def start(o):
    open(o, "w").write(o[:-3] + "\n")


@transform(start, suffix(".in"), ".up")
def up(i, o):
    open(o, "w").write(open(i).read().upper())


@transform(start, suffix(".in"), [".x", ".y"], 7)
def pair(i, o, n):
    for f in o:
        open(f, "w").write(f)


@merge(up, "all.txt")
def together(i, o):
    open(o, "w").write("".join(open(f).read() for f in i))


@split(together, "part.*")
def parts(i, o):
    for f in o:
        os.unlink(f)
    for n, line in enumerate(open(i).read().splitlines()):
        open("part.%d" % n, "w").write(line)


@collate(up, regex(r"(g\d)_.*\.up"), r"\1.grp")
def groups(i, o):
    open(o, "w").write("+".join(open(f).read().strip() for f in i))


@follows(parts, groups, mkdir("made"))
def last():
    pass


@follows(start)
@transform("g1_a.in", suffix(".in"), ".one")
def one(i, o):
    open(o, "w").write("one")


@parallel([["p", 1], ["q", 2]])
def par(name, n):
    pass
NAMES = ["start", "up", "pair", "together", "parts", "groups", "last", "par", "one"]
