from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f in ["a.big", "a.hdr", "b.big", "b.hdr"]:
    open(_f, "w").write(_f)

@subdivide("*.big", regex(r"(\w)\.big"), add_inputs(r"\1.hdr"), r"\1.*.part", r"\1")
def parts(i, o, stem):
    record("parts", i, o, stem)
    for n in range(2):
        open("%s.%d.part" % (stem, n), "w").write(stem)

@transform(parts, suffix(".part"), ".done")
def done(i, o):
    record("done", i, o)
