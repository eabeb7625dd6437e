"""The same workloads written by hand for Luigi: one luigi.Task per Ruffus job (the baseline).

    N=1000 python3 luigi_plain.py w1|w2|w3     (local scheduler, MP workers)
"""

import sys

import luigi
from common import MP, N, write


class Job(luigi.Task):
    """A job writing one file; subclasses say what they need and where they write."""

    def output(self):
        return luigi.LocalTarget(self.path())

    def run(self):
        write(self.path())


class W1Start(Job):
    i = luigi.IntParameter()

    def path(self):
        return "in_%06d.a" % self.i


class W1B(Job):
    i = luigi.IntParameter()

    def requires(self):
        return W1Start(self.i)

    def path(self):
        return "in_%06d.b" % self.i


class W1C(Job):
    i = luigi.IntParameter()

    def requires(self):
        return W1B(self.i)

    def path(self):
        return "out_%06d.c" % self.i


class W1Group(Job):
    g = luigi.IntParameter()

    def requires(self):
        return [W1C(i) for i in range(N) if i % 10 == self.g]

    def path(self):
        return "group_%d.d" % self.g


class W1Final(Job):
    def requires(self):
        return [W1Group(g) for g in range(min(N, 10))]

    def path(self):
        return "final.e"


class W2Seed(Job):
    def path(self):
        return "seed.txt"


class W2Split(luigi.Task):
    """One job writing N files, like Ruffus' @split."""

    def requires(self):
        return W2Seed()

    def output(self):
        return [luigi.LocalTarget("part_%06d.s" % i) for i in range(N)]

    def run(self):
        for target in self.output():
            write(target.path)


class W2Each(Job):
    i = luigi.IntParameter()

    def requires(self):
        return W2Split()

    def path(self):
        return "part_%06d.t" % self.i


class W2Merged(Job):
    def requires(self):
        return [W2Each(i) for i in range(N)]

    def path(self):
        return "merged.m"


class W3A(Job):
    i = luigi.IntParameter()

    def path(self):
        return "a_%04d.x" % self.i


class W3B(Job):
    i = luigi.IntParameter()

    def path(self):
        return "b_%04d.y" % self.i


class W3Pair(Job):
    a = luigi.IntParameter()
    b = luigi.IntParameter()

    def requires(self):
        return [W3A(self.a), W3B(self.b)]

    def path(self):
        return "a_%04d_b_%04d.p" % (self.a, self.b)


class W3All(luigi.WrapperTask):
    def requires(self):
        return [W3Pair(a, b) for a in range(N) for b in range(N)]


ROOTS = {"w1": W1Final, "w2": W2Merged, "w3": W3All}

if __name__ == "__main__":
    ok = luigi.build([ROOTS[sys.argv[1]]()], local_scheduler=True, workers=MP, log_level="ERROR")
    sys.exit(0 if ok else 1)
