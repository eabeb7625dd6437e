"""W1: @originate N -> @transform(suffix) -> @transform(formatter) -> @collate 10 -> @merge."""

from common import N, main, write
from ruffus import (
    collate,
    formatter,
    merge,
    originate,
    pipeline_printout,
    pipeline_run,
    regex,
    suffix,
    transform,
)


@originate(["in_%06d.a" % i for i in range(N)])
def start(o):
    write(o)


@transform(start, suffix(".a"), ".b")
def step_b(i, o):
    write(o)


@transform(step_b, formatter(r"in_(?P<n>\d+)\.b$"), "{path[0]}/out_{n[0]}.c")
def step_c(i, o):
    write(o)


@collate(step_c, regex(r"out_\d*(\d)\.c$"), r"group_\1.d")
def groups(i, o):
    write(o)


@merge(groups, "final.e")
def final(i, o):
    write(o)


if __name__ == "__main__":
    main(pipeline_run, pipeline_printout)
