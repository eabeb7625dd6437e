"""W3: @product of two sets of N files (N*N jobs)."""

from common import N, main, write
from ruffus import formatter, originate, pipeline_printout, pipeline_run
from ruffus.combinatorics import product


@originate(["a_%04d.x" % i for i in range(N)])
def set_a(o):
    write(o)


@originate(["b_%04d.y" % i for i in range(N)])
def set_b(o):
    write(o)


@product(set_a, formatter(), set_b, formatter(), "{basename[0][0]}_{basename[1][0]}.p")
def pairs(i, o):
    write(o)


if __name__ == "__main__":
    main(pipeline_run, pipeline_printout)
