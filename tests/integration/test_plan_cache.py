"""The plan cache: reruns reuse the last run's jobs and verdicts only while nothing they depend on changed.

Every case runs the same script twice or more in fresh interpreters and compares what ran
with the cache on and with it off (RUFFUS_LUIGI_PLAN_CACHE=0), which is Ruffus' full rule.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from ruffus import *

    LEVEL = int(os.environ.get("LEVEL", "1"))

    def log(name):
        with open("jobs.log", "a") as f:
            f.write(name + "\\n")

    @originate(["a.start", "b.start", "c.start"])
    def make(output):
        log("make " + output)
        open(output, "w").write(output)

    @transform([make, "*.extra"], suffix(os.environ.get("FROM", ".start")), ".mid")
    def mid(input_file, output):
        log("mid " + output)
        time.sleep(float(os.environ.get("SLOW", "0")))
        open(output, "w").write(open(input_file).read() + os.environ.get("BODY", ""))

    @merge(mid, "all.txt")
    def total(inputs, output):
        log("total " + output)
        open(output, "w").write("".join(open(i).read() for i in sorted(inputs)))

    pipeline_run(verbose=0, checksum_level=LEVEL, forcedtorun_tasks=os.environ.get("FORCE", "").split(",") if os.environ.get("FORCE") else [])
    """
)


def run(workdir: Path, cache: bool = True, **env: str) -> list[str]:
    log = workdir / "jobs.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "p.py"],
        cwd=workdir,
        env=dict(os.environ, PYTHONPATH=str(REPO), RUFFUS_LUIGI_PLAN_CACHE="1" if cache else "0", **env),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return sorted(log.read_text().splitlines()[before:]) if log.exists() else []


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of the pipeline: one run with the cache, one without."""
    pair = (tmp_path / "cached", tmp_path / "uncached")
    for d in pair:
        d.mkdir()
        (d / "p.py").write_text(SCRIPT)
    return pair


def both(dirs: tuple[Path, Path], change=None, **env: str) -> list[str]:
    """Change both directories alike, rerun both, check they ran the same jobs."""
    ran = []
    for d, cache in zip(dirs, (True, False), strict=True):
        if change is not None:
            change(d)
        ran.append(run(d, cache, **env))
    assert ran[0] == ran[1], "with the cache: %s; Ruffus' rule: %s" % tuple(ran)
    return ran[0]


def test_no_op_rerun_uses_the_cache_and_runs_nothing(dirs):
    assert len(both(dirs)) == 7
    rows = sqlite3.connect(dirs[0] / ".ruffus_history.sqlite").execute("SELECT COUNT(*) FROM ruffus_luigi_plan").fetchone()
    assert rows[0] == 3, "one entry per task"
    assert both(dirs) == []
    assert both(dirs) == []


def test_touched_input_reruns_what_ruffus_reruns(dirs):
    both(dirs)
    both(dirs)

    def touch(d):
        time.sleep(0.01)
        os.utime(d / "b.start")

    assert both(dirs, touch) == ["mid b.mid", "total all.txt"]
    assert both(dirs) == []


def test_output_made_newer_keeps_its_job_but_one_made_older_is_judged_again(dirs):
    both(dirs)
    both(dirs)

    def touch(d):
        time.sleep(0.01)
        os.utime(d / "a.mid")

    assert both(dirs, touch) == ["total all.txt"]  # mid a.mid stays up to date, as in Ruffus

    def backdate(d):  # the same file, older than its input and than its history record
        old = (d / "a.start").stat().st_mtime - 100
        os.utime(d / "a.mid", (old, old))

    assert both(dirs, backdate) == ["mid a.mid", "total all.txt"]

    def replace(d):  # a new file in its place (another inode), also older
        (d / "b.mid").unlink()
        (d / "b.mid").write_text("b")
        old = (d / "b.start").stat().st_mtime - 100
        os.utime(d / "b.mid", (old, old))

    assert both(dirs, replace) == ["mid b.mid", "total all.txt"]


def test_deleted_output_and_new_glob_match_are_seen(dirs):
    both(dirs)
    assert both(dirs, lambda d: (d / "a.mid").unlink()) == ["mid a.mid", "total all.txt"]
    assert both(dirs, lambda d: (d / "z.extra").write_text("z")) == []  # suffix .start: no job for it
    assert both(dirs, FROM=".extra") == ["mid z.mid", "total all.txt"]  # a changed declaration


def test_changed_function_reruns_at_checksum_level_2(dirs):
    both(dirs, LEVEL="2")
    assert both(dirs, LEVEL="2") == []
    for d in dirs:
        (d / "p.py").write_text(SCRIPT.replace("open(output, \"w\").write(output)", "open(output, \"w\").write(output + '!')"))
    assert both(dirs, LEVEL="2") == ["make a.start", "make b.start", "make c.start", "mid a.mid", "mid b.mid", "mid c.mid", "total all.txt"]


def test_a_forced_run_killed_before_its_jobs_wrote_anything_is_redone(tmp_path):
    """The forced jobs' history records are gone while their files are unchanged: Ruffus reruns them."""
    (tmp_path / "p.py").write_text(SCRIPT)
    run(tmp_path)
    run(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ruffus_luigi", "run", "p.py"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO), FORCE="mid", SLOW="30"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    log = tmp_path / "jobs.log"
    deadline = time.time() + 60
    while time.time() < deadline and "mid" not in log.read_text().splitlines()[-1]:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    uncached = tmp_path.parent / (tmp_path.name + "_uncached")
    shutil.copytree(tmp_path, uncached)
    ran = run(tmp_path)
    assert "mid a.mid" in ran, "the job that was running lost its record: it must run again"
    assert ran == run(uncached, cache=False)
    assert run(tmp_path) == []
