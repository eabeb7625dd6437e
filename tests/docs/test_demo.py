"""``examples/demo.py``, the README's first run: it runs end to end, reruns nothing, redoes only what a touch makes stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(where: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    return subprocess.run([sys.executable, "-m", "ruffus_luigi", "run", "examples/demo.py", *args], cwd=where,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.timeout(600)
def test_the_demo_runs_end_to_end_then_redoes_only_what_is_stale(tmp_path):
    (tmp_path / "examples").mkdir()
    shutil.copy(REPO / "examples" / "demo.py", tmp_path / "examples" / "demo.py")
    work = tmp_path / "examples" / "demo_work"

    first = run(tmp_path, "-v", "3", "-j", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    assert (work / "report.txt").read_text() == "brain\t3000\nheart\t3000\nliver\t3000\nlung\t3000\n"
    assert len(list((work / "aligned").glob("*.sam"))) == 8 and len(list((work / "merged").glob("*.total"))) == 4
    assert "Completed Task = 'report'" in first.stdout + first.stderr

    again = run(tmp_path, "-v", "3")
    assert again.returncode == 0, again.stderr
    assert "Completed Task" not in again.stdout + again.stderr, "an up-to-date run redid a task"

    untouched = (work / "aligned" / "heart_L1.sam").stat().st_mtime_ns
    time.sleep(1.1)
    (work / "reads" / "liver_L2.fastq").touch()
    third = run(tmp_path, "-v", "3")
    assert third.returncode == 0, third.stderr
    text = third.stdout + third.stderr
    for job in ("aligned/liver_L2.sam", "counts/liver_L2.count", "merged/liver.total", "report.txt"):
        assert job in text, "%s should have run again:\n%s" % (job, text)
    assert "liver_L1.sam" not in text and (work / "aligned" / "heart_L1.sam").stat().st_mtime_ns == untouched
    assert (work / "report.txt").read_text().startswith("brain\t3000\n")
