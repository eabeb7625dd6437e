"""Runs against a real luigid on a loopback port (started by tools/luigid.py, stopped by pid)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "slow_fanout.py"
EXPECTED_ALL = "".join("s%d.start\nstep\n" % i for i in range(6))


def start_run(workdir: Path, url: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, RUFFUS_LUIGI_SCHEDULER_URL=url, PYTHONPATH=str(REPO))
    shutil.copy(SCRIPT, workdir / SCRIPT.name)
    return subprocess.Popen(
        [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, *args],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def jobs_run(workdir: Path) -> Counter:
    lines = (workdir / "jobs.log").read_text().splitlines()
    return Counter(line.rsplit(" ", 1)[0] for line in lines)


def test_pipeline_runs_through_luigid_and_its_api_shows_ruffus_task_names(luigid, tmp_path):
    run = start_run(tmp_path, luigid.url, "2")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    assert set(jobs_run(tmp_path).values()) == {1} and len(jobs_run(tmp_path)) == 13
    done = luigid.api("task_list", {"status": "DONE", "upstream_status": "", "search": ""})
    families = {t["name"] for t in done.values()}
    assert {"make", "step", "total"} <= families
    step_jobs = sorted(t["params"]["jobs"] for t in done.values() if t["name"] == "step" and t["params"]["jobs"] != "all")
    assert step_jobs == sorted("[s%d.start -> s%d.mid]" % (i, i) for i in range(6))


def test_two_runs_started_together_run_every_job_exactly_once(luigid, tmp_path):
    runs = [start_run(tmp_path, luigid.url, "2") for _ in range(2)]
    results = [r.communicate(timeout=180) for r in runs]
    for r, (_out, err) in zip(runs, results, strict=True):
        assert r.returncode == 0, err
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    counts = jobs_run(tmp_path)
    assert len(counts) == 13
    assert counts == Counter({name: 1 for name in counts}), counts


def test_a_run_started_again_at_once_after_its_outputs_went_redoes_them(luigid, tmp_path):
    """luigid still lists the first run's chunks as done (and ignores making them pending for
    10 s): the next run must get them handed out anyway, not wait for ever."""
    run = start_run(tmp_path, luigid.url, "2")
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    for name in ["s1.mid", "all.txt"]:  # the history stays: only these jobs are out of date
        (tmp_path / name).unlink()
    (tmp_path / "jobs.log").unlink()
    run = start_run(tmp_path, luigid.url, "2")
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert jobs_run(tmp_path) == Counter({"step s1.mid": 1, "total all.txt": 1})

    for path in tmp_path.iterdir():  # everything gone, history included: the same chunks again
        if path.name != SCRIPT.name:
            path.unlink()
    run = start_run(tmp_path, luigid.url, "2")
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    assert len(jobs_run(tmp_path)) == 13 and set(jobs_run(tmp_path).values()) == {1}


def test_runs_started_again_and_again_tell_luigid_of_each_chunk_once(luigid, tmp_path):
    """Each rerun within luigid's cooldown renews ids the last run renewed to: the renewal
    must follow the chain at once, not learn it one stage resumption (and round of RPCs) at a time."""
    for attempt in range(4):
        for path in tmp_path.iterdir():
            if path.name != SCRIPT.name:
                path.unlink()
        env = dict(os.environ, RUFFUS_LUIGI_SCHEDULER_URL=luigid.url, PYTHONPATH=str(REPO), RUFFUS_LUIGI_LOG_LEVEL="INFO")
        shutil.copy(SCRIPT, tmp_path / SCRIPT.name)
        run = subprocess.run(
            [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, "2"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert len(jobs_run(tmp_path)) == 13 and set(jobs_run(tmp_path).values()) == {1}
        told = [line.split()[5] for line in run.stderr.splitlines()
                if "Informed scheduler that task" in line and line.split()[-1] == "PENDING"]
        chunks = [t for t in told if t.split("_")[1].isdigit()]  # family_<chunk>_... (a stage: family__-1...)
        assert len(chunks) == 13, "run %d told luigid of %d chunks: %s" % (attempt + 1, len(chunks), chunks)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("where", ["before run", "after run"])
def test_the_luigid_options_work_before_and_after_run(luigid, tmp_path, where):
    """``ruffus-luigi --scheduler-host H --scheduler-port P run p.py`` and
    ``ruffus-luigi run --scheduler-host H --scheduler-port P p.py`` both run through luigid."""
    shutil.copy(SCRIPT, tmp_path / SCRIPT.name)
    port = luigid.url.rstrip("/").rsplit(":", 1)[1]
    options = ["--scheduler-host", "127.0.0.1", "--scheduler-port", port]
    command = [*options, "run"] if where == "before run" else ["run", *options]
    run = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", *command, SCRIPT.name, "2"], cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    done = luigid.api("task_list", {"status": "DONE", "upstream_status": "", "search": ""})
    assert any(t["name"] == "total" and t["params"].get("workdir") == str(tmp_path) for t in done.values()), done
