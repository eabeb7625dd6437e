"""Benchmarks: the same workloads under Ruffus 3.0.0, hand-written Luigi and ruffus-luigi.

    python3 bench/run.py                 # W1 at N=1,000 and 10,000, W2, W3; 3 runs each
    python3 bench/run.py --smoke         # seconds: tiny sizes, one run (CI keeps it working)
    python3 bench/run.py --workloads w1 --sizes 100000 --repeat 1

Every measured run is a fresh interpreter in a fresh directory; the same workload
script runs under Ruffus and ruffus-luigi (only PYTHONPATH differs). ruffus-luigi runs
with the local scheduler and against a luigid on 127.0.0.1 started here (stopped by pid).
Printed: medians of the runs, and the ratios ruffus-luigi / Ruffus and luigid / local.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORKLOADS = REPO / "bench" / "workloads"
sys.path.insert(0, str(REPO / "tools"))

from luigid import Luigid  # noqa: E402

IMPLS = ("ruffus", "luigi", "rl", "rl-luigid")
SCENARIOS = ("full", "noop", "touch1", "printout")
TOUCHED = {"w1": "in_000000.a", "w2": "part_000000.s", "w3": "a_0000.x"}


def environment(impl: str, n: int, luigid_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RUFFUS_LUIGI_SCHEDULER_URL")}
    paths = [str(WORKLOADS)]
    if impl.startswith("rl"):
        paths[:0] = [str(REPO / "ruffus_luigi" / "shim"), str(REPO)]
    if impl == "rl-luigid":
        env["RUFFUS_LUIGI_SCHEDULER_URL"] = luigid_url or ""
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["N"] = str(n)
    return env


def timed(cmd: list[str], cwd: Path, env: dict[str, str], cap: float | None) -> float | None:
    """Wall time of one run; None when it went over ``cap`` (the process group is killed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return None
    if proc.returncode != 0:
        raise RuntimeError("%s failed in %s:\n%s" % (" ".join(cmd), cwd, err.decode()[-3000:]))
    return time.perf_counter() - start


def one_repeat(workload: str, n: int, impl: str, root: Path, url: str | None, cap: float) -> dict:
    """Every scenario once for one implementation, in a fresh directory."""
    work = Path(tempfile.mkdtemp(prefix=f"{workload}_{impl}_", dir=root))
    env = environment(impl, n, url)
    if impl == "luigi":
        cmd = [sys.executable, str(WORKLOADS / "luigi_plain.py"), workload]
        full = timed(cmd, work, env, cap)
        result = {"full": full, "noop": timed(cmd, work, env, cap) if full is not None else None}
    else:
        cmd = [sys.executable, str(WORKLOADS / f"{workload}.py")]
        result = {"full": timed(cmd, work, env, None)}
        result["rss_kb"] = int((work / "peak_rss_kb.txt").read_text())
        result["noop"] = timed(cmd, work, env, None)
        time.sleep(1.1)  # the touched input must be newer than every output
        os.utime(work / TOUCHED[workload])
        result["touch1"] = timed(cmd, work, dict(env, JOBLOG="1"), None)
        log = work / "jobs.log"
        result["touch1_jobs"] = sorted(os.path.basename(f) for f in log.read_text().split()) if log.exists() else []
        result["printout"] = timed(cmd, work, dict(env, MODE="printout"), None)
    shutil.rmtree(work, ignore_errors=True)
    return result


def median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def show(value: float | None, cap: float | None = None) -> str:
    if value is None:
        return ">%gs" % cap if cap else "-"
    return "%.2f" % value


def ratio(a: float | None, b: float | None) -> str:
    return "%.2fx" % (a / b) if a is not None and b else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run")
    parser.add_argument("--workloads", default="w1,w2,w3")
    parser.add_argument("--sizes", default="1000,10000", help="N for W1 (and W2)")
    parser.add_argument("--w3-size", type=int, default=300, help="files per set for W3")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--luigi-cap", type=float, default=120.0, help="seconds allowed to plain Luigi")
    parser.add_argument("--impls", default=",".join(IMPLS))
    parser.add_argument("--json", help="write the raw figures here")
    options = parser.parse_args(argv)
    if options.smoke:
        options.sizes, options.w3_size, options.repeat = "20", 10, 1
    impls = options.impls.split(",")
    root = Path(tempfile.mkdtemp(prefix="ruffus_luigi_bench_"))
    server = Luigid(root / "luigid").start() if "rl-luigid" in impls else None
    figures: list[dict] = []
    mismatches = 0
    try:
        print("# %s, %d cores, load %s" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), open("/proc/loadavg").read().split()[0]))
        for workload in options.workloads.split(","):
            sizes = [options.w3_size] if workload == "w3" else [int(s) for s in options.sizes.split(",")]
            for n in sizes:
                runs = {impl: [one_repeat(workload, n, impl, root, server and server.url, options.luigi_cap) for _ in range(options.repeat)] for impl in impls}
                row = {"workload": workload, "n": n, "runs": runs}
                figures.append(row)
                mismatches += report(row, impls, options.luigi_cap)
    finally:
        if server:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=1))
    return 1 if mismatches else 0


def report(row: dict, impls: list[str], cap: float) -> int:
    """Print one workload's table; returns 1 when ruffus-luigi reran other jobs than Ruffus."""
    runs = row["runs"]
    jobs = {"w1": 3 * row["n"] + 11, "w2": 2 * row["n"] + 2, "w3": row["n"] ** 2 + 2 * row["n"]}[row["workload"]]
    print("\n## %s N=%d (%d jobs), median of %d run(s), seconds" % (row["workload"].upper(), row["n"], jobs, len(next(iter(runs.values())))))
    print("%-9s" % "scenario" + "".join("%12s" % i for i in impls) + "%12s%12s" % ("rl/ruffus", "luigid/rl"))
    for scenario in SCENARIOS:
        med = {i: median([r.get(scenario) for r in runs[i]]) for i in impls}
        cells = "".join("%12s" % show(med[i], cap if i == "luigi" and scenario in ("full", "noop") else None) for i in impls)
        print("%-9s%s%12s%12s" % (scenario, cells, ratio(med.get("rl"), med.get("ruffus")), ratio(med.get("rl-luigid"), med.get("rl"))))
    rss = {i: median([r.get("rss_kb") for r in runs[i]]) for i in impls if i != "luigi"}
    print("%-9s" % "peak MiB" + "".join("%12s" % ("%.0f" % (rss[i] / 1024) if rss.get(i) else "-") for i in impls))
    bad = 0
    if "ruffus" in runs:
        expected = runs["ruffus"][0]["touch1_jobs"]
        for impl in ("rl", "rl-luigid"):
            if impl in runs:
                same = all(r["touch1_jobs"] == expected for r in runs[impl])
                bad |= not same
                print("touch1 jobs rerun by %s: %s (%d jobs, as Ruffus)" % (impl, "OK" if same else "MISMATCH", len(expected)) if same else "touch1 jobs rerun by %s: MISMATCH" % impl)
    return int(bad)


if __name__ == "__main__":
    sys.exit(main())
