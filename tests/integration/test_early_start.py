"""Downstream @transform jobs start as soon as their own input is made (issue: early start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "early_start.py"


def run(impl: str, workdir: Path, verbose: int = 1, mp: int = 2) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    workdir.mkdir(exist_ok=True)
    shutil.copy(SCRIPT, workdir / SCRIPT.name)
    return subprocess.run(
        [sys.executable, SCRIPT.name, str(verbose), str(mp)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=120,
    )


def events(workdir: Path) -> dict[str, float]:
    out = {}
    for line in (workdir / "order.log").read_text().splitlines():
        t, what = line.split(" ", 1)
        out[what] = float(t)
    return out


def test_downstream_jobs_start_before_the_slow_upstream_job_ends(tmp_path):
    done = run("ruffus_luigi", tmp_path)
    assert done.returncode == 0, done.stderr
    seen = events(tmp_path)
    slow_end = seen["end make a5.1"]
    for i in range(5):
        assert seen["start step a%d.2" % i] < slow_end
        assert seen["start more a%d.3" % i] < slow_end
    assert seen["start step a5.2"] > slow_end


def test_early_start_keeps_ruffus_files_and_task_log(tmp_path):
    ours, ref = tmp_path / "ours", tmp_path / "ruffus"
    a, b = run("ruffus_luigi", ours), run("ruffus", ref)
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    for name in ["all.txt"] + ["a%d.%d" % (i, k) for i in range(6) for k in (1, 2, 3)]:
        assert (ours / name).read_bytes() == (ref / name).read_bytes()
    # Ruffus' task-level lines, in Ruffus' order, even though jobs overlapped
    assert a.stderr == b.stderr
    rerun = run("ruffus_luigi", ours)
    assert "Task enters queue" not in rerun.stderr
