import os
import sys

from ruffus import *
from ruffus.combinatorics import *


@originate(["x.1.in", "x.2.in", "y.1.in"], "seed")
def start(o, seed):
    open(o, "w").write(o + seed + "\n")

@transform(start, regex(r"(\w)\.(\d)\.in"), add_inputs("extra.txt"), r"\1_\2.r", r"\2")
@follows(mkdir("outdir"))
def by_regex(i, o, n):
    open(o, "w").write(open(i[0]).read() + n)

@subdivide(by_regex, formatter(), "{path[0]}/{basename[0]}.*.part", "{path[0]}/{basename[0]}")
def cut(i, o, stem):
    for k in range(2):
        open("%s.%d.part" % (stem, k), "w").write(open(i).read())

@transform(cut, suffix(".part"), ".p2", output_dir="outdir")
def moved(i, o):
    open(o, "w").write(open(i).read())

@permutations(start, formatter(), 2, "{basename[0][0]}_vs_{basename[1][0]}.perm")
def pairs(i, o):
    open(o, "w").write(" ".join(i))

@active_if(lambda: os.environ.get("SKIP") is None)
@merge([moved, pairs], "summary.txt")
def summary(i, o):
    open(o, "w").write("\n".join(sorted(i)))

if __name__ == "__main__":
    if not os.path.exists("extra.txt"):
        open("extra.txt", "w").write("e")
    v = int(sys.argv[1])
    if "run" in sys.argv:
        pipeline_run(verbose=v, multiprocess=int(os.environ.get("MP", "1")))
    pipeline_printout(sys.stdout, verbose=v, wrap_width=120)
