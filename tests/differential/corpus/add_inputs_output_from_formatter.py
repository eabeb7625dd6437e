from ruffus import *
from ruffus.combinatorics import *
from _record import record

@originate(["ref.r"])
def ref(o):
    record("ref", None, o)

@originate(["a.d", "b.d"])
def data(o):
    record("data", None, o)

@transform(data, formatter(), add_inputs(output_from("ref"), "{path[0]}/{basename[0]}.d"), "{basename[0]}.with_ref")
def f(i, o):
    record("f", i, o)

@collate(f, formatter(r".*\.with_ref$"), inputs([["{path[0]}/ref.r"]]), "all.refs")
def g(i, o):
    record("g", i, o)
