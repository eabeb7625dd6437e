"""W2: @split to a glob of N files -> @transform -> @merge."""

from common import N, main, write
from ruffus import merge, originate, pipeline_printout, pipeline_run, split, suffix, transform


@originate("seed.txt")
def seed(o):
    write(o)


@split(seed, "part_*.s")
def parts(i, o):
    for n in range(N):
        write("part_%06d.s" % n)


@transform(parts, suffix(".s"), ".t")
def each(i, o):
    write(o)


@merge(each, "merged.m")
def merged(i, o):
    write(o)


if __name__ == "__main__":
    main(pipeline_run, pipeline_printout)
