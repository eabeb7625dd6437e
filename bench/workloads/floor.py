"""The file-system floor: what a workload costs with no pipeline software at all.

    N=1000 MODE=run python3 floor.py w1|w2|w3

``MODE=run`` (a full run) creates every file the workload's jobs create, as the jobs write
them, and stats each twice (once to see it is missing or old, once after it is made);
any other mode (a no-op or touch-one rerun, a printout) stats every file once: the least
a tool must do to know what is up to date.
"""

import os
import sys

from common import MODE, N, write


def files(workload: str) -> list[str]:
    """Every file the workload's jobs make, in the order they make them."""
    if workload == "w1":
        return (
            ["in_%06d.a" % i for i in range(N)]
            + ["in_%06d.b" % i for i in range(N)]
            + ["out_%06d.c" % i for i in range(N)]
            + ["group_%d.d" % d for d in sorted({i % 10 for i in range(N)})]
            + ["final.e"]
        )
    if workload == "w2":
        return ["seed.txt"] + ["part_%06d.s" % i for i in range(N)] + ["part_%06d.t" % i for i in range(N)] + ["merged.m"]
    if workload == "w3":
        sets = ["a_%04d.x" % i for i in range(N)] + ["b_%04d.y" % i for i in range(N)]
        return sets + ["a_%04d_b_%04d.p" % (i, j) for i in range(N) for j in range(N)]
    raise SystemExit("unknown workload %r" % workload)


def _stat(name: str) -> None:
    try:
        os.stat(name)
    except FileNotFoundError:
        pass


def main(workload: str) -> None:
    names = files(workload)
    if MODE == "run":
        for name in names:
            _stat(name)
            write(name)
            _stat(name)
    else:
        for name in names:
            _stat(name)


if __name__ == "__main__":
    main(sys.argv[1])
