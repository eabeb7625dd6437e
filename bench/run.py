"""Benchmarks: the same workloads under Ruffus 3.0.0, hand-written Luigi and ruffus-luigi.

    python3 bench/run.py                      # W1, W2 at N=1,000 and 10,000, W3 300x300; 3 runs
    python3 bench/run.py --smoke              # tiny sizes, one run (the smoke test runs this)
    python3 bench/run.py --workloads w1 --sizes 100000 --repeat 1 --impls ruffus,rl

Implementations: ruffus (Ruffus 3.0.0), luigi (one luigi.Task per job, local scheduler,
killed after --luigi-cap seconds), rl (ruffus-luigi, local scheduler), rl-luigid
(ruffus-luigi on a luigid that this script starts on 127.0.0.1 and stops by pid), and
floor (no pipeline software: the workload's files created and stat-ed, see
workloads/floor.py). Each implementation runs at every --mp setting (multiprocess; plain
Luigi's workers) and is shown at its fastest. Every run is a fresh interpreter; each repeat
starts in a fresh directory. Printed: medians, ratios against each peer's fastest setting
and against the floor, the touch-one job check.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import measure
import report

sys.path.insert(0, str(measure.REPO / "tools"))
from luigid import Luigid  # noqa: E402

IMPLS = ("ruffus", "luigi", "rl", "rl-luigid", "floor")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; --smoke overrides sizes and repeats."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="W1, W2 at N=20, W3 10x10, one run")
    parser.add_argument("--workloads", default="w1,w2,w3")
    parser.add_argument("--sizes", default="1000,10000", help="N for W1 and W2 (comma-separated)")
    parser.add_argument("--w3-size", type=int, default=300, help="files in each of W3's two sets")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--luigi-cap", type=float, default=120.0, help="seconds allowed to plain Luigi")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run counts as hung")
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--mp", default="1,2", help="multiprocess settings to try (each shown at its fastest)")
    parser.add_argument("--json", help="write the raw figures to this file")
    parser.add_argument(
        "--dir",
        default=None,
        help="where the runs write their files (default: the system's temporary directory; "
        "/dev/shm takes the disk out of the comparison)",
    )
    options = parser.parse_args(argv)
    if options.smoke:
        options.sizes, options.w3_size, options.repeat = "20", 10, 1
    return options


def warm_up(impls: list[str], root: Path, pycache: Path, limit: float) -> None:
    """One untimed tiny run per interpreter setup, so byte-code is compiled before timing."""
    for impl in sorted({"rl" if impl == "rl-luigid" else impl for impl in impls} - {"floor"}):
        work = root / ("warm-" + impl)
        work.mkdir()
        measure.run(measure.command("w1", impl), work, measure.environment(impl, 2, pycache), limit)


def variants(impls: list[str], mps: list[int]) -> list[tuple[str, int]]:
    """(implementation, multiprocess) pairs to measure; the floor has no setting."""
    return [(impl, mp) for impl in impls for mp in ([1] if impl == "floor" else mps)]


def one(workload: str, n: int, impl: str, mp: int, root: Path, url: str | None,
        options: argparse.Namespace) -> dict:
    """All scenarios of one repeat of one implementation; failures are recorded, not raised."""
    work = Path(tempfile.mkdtemp(prefix=f"{workload}_{n}_{impl}_{mp}_", dir=root))
    env = measure.environment(impl, n, root / "pycache", url, mp)
    record = {"workload": workload, "n": n, "impl": impl, "mp": mp}
    try:
        record.update(measure.scenarios(workload, n, impl, work, env, options.luigi_cap, options.timeout))
    except measure.RunFailed as failure:
        record["error"] = str(failure)
        print("FAILED %s (mp %d) %s N=%d: %s" % (impl, mp, workload, n, failure), file=sys.stderr)
        return record
    shutil.rmtree(work, ignore_errors=True)
    return record


def header(options: argparse.Namespace) -> None:
    """Date, machine and load, so a table can be read later."""
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("# %s, %d cores, load average %s, Python %s, repeat %d, plain-Luigi cap %gs"
          % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), load, platform.python_version(),
             options.repeat, options.luigi_cap))


def main(argv: list[str] | None = None) -> int:
    """Run every (workload, N) under every implementation, print tables; 1 on failure."""
    options = parse(argv)
    impls = options.impls.split(",")
    mps = [int(m) for m in options.mp.split(",")]
    root = Path(tempfile.mkdtemp(prefix="ruffus_luigi_bench_", dir=options.dir))
    server = None
    records: list[dict] = []
    bad = False
    try:
        header(options)
        server = Luigid(root / "luigid").start() if "rl-luigid" in impls else None
        warm_up(impls, root, root / "pycache", options.timeout)
        for workload in options.workloads.split(","):
            sizes = [options.w3_size] if workload == "w3" else [int(s) for s in options.sizes.split(",")]
            for n in sizes:
                runs: dict[tuple[str, int], list[dict]] = {v: [] for v in variants(impls, mps)}
                for _ in range(options.repeat):  # interleaved, so load drifts hit all alike
                    for impl, mp in runs:
                        done = runs[(impl, mp)]
                        if impl == "luigi" and any(r.get("seconds", {}).get("full", 0) is None for r in done):
                            continue  # over the cap once: the median would be too
                        done.append(one(workload, n, impl, mp, root, server and server.url, options))
                        sys.stdout.flush()
                records += [r for rs in runs.values() for r in rs]
                title = "%s N=%d (%d jobs), median of %d run(s), seconds" % (
                    workload.upper(), n, measure.jobs(workload, n), options.repeat)
                bad |= report.table(title, runs, options.luigi_cap)
                bad |= any("error" in r for rs in runs.values() for r in rs)
                if options.json:  # after every table, so an interrupted run keeps its figures
                    Path(options.json).write_text(json.dumps(records, indent=1))
                sys.stdout.flush()
    finally:
        if server:
            server.stop()
        if bad:
            print("kept %s for inspection" % root, file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
