"""Wall time per Ruffus job on the test clusters: ``@originate`` N files, ``@transform`` them.

::

    python3 bench/cluster_jobs.py --backends slurm,drmaa --jobs 300 --mp 8 [--group 20] [--dir D]

Each run starts from an empty directory (under ``--dir``, default a temporary directory on
the working file system: the nodes must see it), runs the pipeline with
``RUFFUS_LUIGI_BACKEND=<backend>`` and prints the wall time and seconds per job. The clusters
are used through ``tools/cluster/clusters.py`` (started if need be, stopped by their last
user if started here). ``--group`` sets ``RUFFUS_LUIGI_JOB_GROUP_SIZE`` (unset: the default).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools" / "cluster"))
from clusters import cluster  # noqa: E402

CLUSTER_OF = {"slurm": "slurm", "drmaa": "sge"}

PIPELINE = textwrap.dedent(
    """
    import os, sys
    from ruffus import originate, transform, suffix, pipeline_run

    N = int(os.environ["N"])

    @originate(["in_%04d.a" % i for i in range(N)])
    def make(out):
        with open(out, "w") as f:
            f.write(out)

    @transform(make, suffix(".a"), ".b")
    def copy(i, o):
        with open(i) as f, open(o, "w") as g:
            g.write(f.read())

    if __name__ == "__main__":
        pipeline_run(multiprocess=int(os.environ["MP"]), verbose=0)
    """
)


def one_run(env: dict[str, str], workdir: Path, timeout: float, config: str = "") -> float:
    workdir.mkdir(parents=True)
    (workdir / "pipeline.py").write_text(PIPELINE)
    if config:
        (workdir / "luigi.cfg").write_text(config)
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "pipeline.py"], cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout
    )
    seconds = time.monotonic() - t0
    if done.returncode != 0:
        raise SystemExit("run failed in %s:\n%s%s" % (workdir, done.stdout, done.stderr[-5000:]))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="slurm,drmaa")
    parser.add_argument("--jobs", type=int, default=300, help="Ruffus jobs in all (half originate, half transform)")
    parser.add_argument("--mp", type=int, default=8)
    parser.add_argument("--group", default=None, help="RUFFUS_LUIGI_JOB_GROUP_SIZE")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--poll-interval", type=float, default=None, help="the back end's poll_interval (luigi.cfg)")
    parser.add_argument("--dir", default=None)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    backends = args.backends.split(",")
    base = Path(tempfile.mkdtemp(prefix="cluster-bench-", dir=args.dir or os.getcwd()))
    with ExitStack() as stack:
        clusters = {b: stack.enter_context(cluster(CLUSTER_OF[b])) for b in backends}
        for backend in backends:
            env = {k: v for k, v in clusters[backend].env.items() if not k.startswith("RUFFUS_LUIGI_")}
            env.update(
                RUFFUS_LUIGI_BACKEND=backend,
                N=str(args.jobs // 2),
                MP=str(args.mp),
                PYTHONPATH=os.pathsep.join(
                    [str(REPO / "ruffus_luigi" / "shim"), str(REPO), *map(str, sorted((REPO / "plugins").glob("ruffus-luigi-*")))]
                ),
            )
            if args.group is not None:
                env["RUFFUS_LUIGI_JOB_GROUP_SIZE"] = args.group
            config = ""
            if args.poll_interval is not None:
                config = "[ruffus_luigi.backend.%s]\npoll_interval = %g\n" % (backend, args.poll_interval)
            for i in range(args.repeat):
                seconds = one_run(env, base / ("%s-%d" % (backend, i)), args.timeout, config)
                print(
                    "%s: %d jobs, multiprocess=%d, group=%s%s: %.1f s (%.3f s/job)"
                    % (backend, args.jobs, args.mp, args.group or "default",
                       "" if args.poll_interval is None else ", poll_interval=%g" % args.poll_interval,
                       seconds, seconds / args.jobs),
                    flush=True,
                )


if __name__ == "__main__":
    main()
