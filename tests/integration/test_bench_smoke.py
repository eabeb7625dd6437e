"""The benchmark's smoke run keeps bench/run.py working (it asserts nothing about time)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_smoke_runs_every_workload_and_reruns_what_ruffus_reruns():
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--smoke"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for workload in ("W1 N=20", "W2 N=20", "W3 N=10"):
        assert "## " + workload in out
    rows = [line.split() for line in out.splitlines()]
    for scenario in ("full", "noop", "touch1", "printout"):
        measured = [r for r in rows if r and r[0] == scenario and r[1] != "jobs"]
        assert len(measured) == 3, scenario
        assert all(float(cell) > 0 for r in measured for cell in r[1:2]), measured  # Ruffus' column
    assert sum(1 for r in rows if r[:2] == ["peak", "MiB"]) == 3
    assert out.count("touch1 jobs rerun by rl: OK") == 3
    assert out.count("touch1 jobs rerun by rl-luigid: OK") == 3
    assert "MISMATCH" not in out
