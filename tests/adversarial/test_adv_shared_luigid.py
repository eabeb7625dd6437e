"""Two runs of one pipeline in one directory against one luigid run every job once.

The pipeline (``tools/shared_luigid_race.py``) has 361 small jobs, each appending a line
to ``jobs.log`` with O_APPEND; both runs are ``ruffus-luigi --scheduler-host ... run`` in
the same directory (the second one entered through a symbolic link on odd tries), on a
luigid that has seen the directory before and within its 10 s ``stable_done_cooldown`` of
the last try. Before the fix, a run that cut a stage after the other had finished one of
its renewed chunks followed the renewal chain one link further, so both runs ran the
chunks depending on it (15-166 jobs twice in 24 of 30 tries of the first test's shape); a
worker's recheck on disk did not see jobs the other run was running at that moment.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import shared_luigid_race as race  # tools/ (on sys.path through tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]
TRIES = 16  # the old code ran jobs twice in 24 of 30 tries (3 of 8 on a loaded machine): 16 misses < 1 in 1000
STAGGERS = (0.0, 0.2, 0.4, 0.6)  # seconds between the two starts: the window moves with the load


def setup_dirs(tmp_path: Path) -> tuple[Path, Path]:
    work = tmp_path / "work"
    race.write_pipeline(work)
    alias = tmp_path / "alias"
    alias.symlink_to(work)
    return work, alias


@pytest.mark.timeout(300)
@pytest.mark.held("shared luigid: every job once", "adversarial")
def test_two_runs_started_together_in_one_directory_run_every_job_once(luigid, tmp_path):
    race.CODE = REPO
    work, alias = setup_dirs(tmp_path)
    results = []
    for attempt in range(TRIES):
        dups, distinct, problems = race.race_once(
            work, luigid.url, jobs=120, mp=2, keep_history=attempt % 3 == 2,
            alias=alias if attempt % 2 else None, pause=0.005,
            stagger=STAGGERS[attempt % len(STAGGERS)], lone=attempt == 0, timeout=120,
        )
        results.append((attempt, dups, problems))
        assert not problems, "try %d: %s" % (attempt + 1, problems)
        assert distinct == 361
    twice = [(a + 1, d) for a, d, _ in results if d]
    assert not twice, "jobs run twice (try, jobs): %s" % twice


@pytest.mark.timeout(240)
@pytest.mark.held("shared luigid: every job once", "adversarial")
def test_runs_cutting_different_chunks_claim_each_job_before_running_it(luigid, tmp_path):
    """Chunks of 3 jobs in one run and 5 in the other: no Luigi task id is shared, so only a
    worker's recheck on disk can keep a job from running twice, and it must not miss one the
    other run is running right now (its output is not written, nor recorded, yet)."""
    race.CODE = REPO
    work, _ = setup_dirs(tmp_path)
    race.finish([race.start(work, luigid.url, 40, 2, pause=0.05)], 120)  # luigid has seen the directory
    expected = race.outputs(work)
    for attempt in range(3):
        race.clean(work, keep_history=False)
        runs = [
            race.start(work, luigid.url, 40, 2, pause=0.05, env={"RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK": "3"}),
            race.start(work, luigid.url, 40, 2, pause=0.05, env={"RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK": "5"}),
        ]
        for code, err in race.finish(runs, 120):
            assert code == 0, err[-3000:]
        counts = race.job_counts(work)
        assert len(counts) == 121
        assert {k: n for k, n in counts.items() if n > 1} == {}, "try %d" % (attempt + 1)
        assert race.outputs(work) == expected


@pytest.mark.timeout(120)
@pytest.mark.held("shared luigid: every job once", "adversarial")
def test_claims_directory_another_user_could_write_is_refused_before_any_job(luigid, tmp_path):
    """The claims live in ``$TMPDIR/ruffus-luigi-<uid>``: one that others can write (or a link
    planted there) could let them hold or drop claims, so the run stops, naming it, before any job."""
    race.CODE = REPO
    work, _ = setup_dirs(tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    planted = tmp / ("ruffus-luigi-%d" % os.getuid())
    for attempt in ("writable by all", "a symbolic link"):
        if attempt == "writable by all":
            planted.mkdir()
            planted.chmod(0o777)
        else:
            planted.rmdir()
            (tmp / "elsewhere").mkdir(mode=0o700)
            planted.symlink_to(tmp / "elsewhere")
        code, err = race.finish([race.start(work, luigid.url, 5, 2, env={"TMPDIR": str(tmp)})], 60)[0]
        assert code != 0, attempt
        assert "cannot claim jobs" in err and str(planted) in err, err[-2000:]
        assert not (work / "jobs.log").exists(), attempt
