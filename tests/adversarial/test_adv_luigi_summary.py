"""Luigi's execution summary names generated tasks (``step(chunk=-1, jobs=, run_id=...)``) and
Luigi's states ("not granted run permission"): wherever it would be printed (a failed run, Luigi's
own log at RUFFUS_LUIGI_LOG_LEVEL=INFO, runs on luigid) the run's summary by Ruffus task is shown.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAILING = '''
from ruffus import *

@originate(["a.txt", "b.txt"])
def make(o):
    open(o, "w").write("x")

@transform(make, suffix(".txt"), ".out")
def step(i, o):
    if "a" in i:
        raise ValueError("boom")
    open(o, "w").write("y")

@merge(step, "all.txt")
def total(i, o):
    open(o, "w").write("z")

pipeline_run(verbose=1, multiprocess=2)
'''
INTERNAL = ("chunk=", "run_id=", "not granted run permission", "Luigi Execution Summary", "workdir=", "version=")
SUMMARY = [
    "ruffus-luigi: what this run did, by Ruffus task:",
    "    'make': 2 of 2 jobs done, 0 failed, 0 not run (finished)",
    "    'step': 1 of 2 jobs done, 1 failed, 0 not run (not finished)",
    "    'total': not started (waits for 'step')",
]


def run(workdir: Path, **env: str) -> subprocess.CompletedProcess:
    (workdir / "failing.py").write_text(FAILING)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "LUIGI_CONFIG"))}
    return subprocess.run([sys.executable, "-m", "ruffus_luigi", "run", "failing.py"], cwd=workdir,
                          env={**base, "PYTHONPATH": str(REPO), **env}, capture_output=True, text=True, timeout=120)


def summary_blocks(stderr: str) -> list[list[str]]:
    lines = [line.removeprefix("INFO: ") for line in stderr.splitlines()]
    return [lines[i:i + len(SUMMARY)] for i, line in enumerate(lines) if line == SUMMARY[0]]


@pytest.mark.held("clear errors: luigi summary", "bad input")
@pytest.mark.timeout(180)
@pytest.mark.parametrize("log_level", ["", "INFO"])
@pytest.mark.parametrize("scheduler", ["local", "luigid"])
def test_a_failed_run_shows_its_summary_by_ruffus_task_never_luigis(request, tmp_path, scheduler, log_level):
    env = {"RUFFUS_LUIGI_LOG_LEVEL": log_level} if log_level else {}
    if scheduler == "luigid":
        env["RUFFUS_LUIGI_SCHEDULER_URL"] = request.getfixturevalue("luigid").url
    done = run(tmp_path, **env)
    assert done.returncode == 1 and "ValueError: boom" in done.stderr
    blocks = summary_blocks(done.stderr)
    assert blocks and all(block == SUMMARY for block in blocks), done.stderr
    assert len(blocks) == (2 if log_level else 1)  # (Luigi's own log has it too)
    assert "Luigi Execution Summary" not in done.stderr
    if not log_level:  # (Luigi's own debugging log names its tasks as it likes)
        for word in INTERNAL:
            assert word not in done.stderr, word
    assert (tmp_path / "b.out").read_text() == "y" and not (tmp_path / "all.txt").exists()
