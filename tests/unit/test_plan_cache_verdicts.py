"""Plan cache verdicts: the one check for a job whose verdict holds, and the signature a job that ran leaves."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ruffus_luigi.planning.history_store import JobHistory
from ruffus_luigi.planning.plan_cache import PlanCache, inputs_seen, ran_signature, signature

TASK = object()  # (the cache keys its current entries by task object only)


def cache_with(jobs: list[tuple]) -> PlanCache:
    """A cache whose current entry for TASK lists ``jobs``, each with its files' verdict as they are now."""
    cache = PlanCache(JobHistory(None), 1)
    verdicts = {i: signature(params) for i, (params, _) in enumerate(jobs)}
    cache.current[TASK] = {"static": b"", "reads": [], "jobs": jobs, "notes": [], "verdicts": verdicts}
    return cache


def test_a_verdict_holds_while_the_jobs_files_are_unchanged(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.in", "a.out", "b.in", "b.out"):
        Path(name).write_text("x")
    jobs = [(("a.in", "a.out"), ("a.in", "a.out")), (("b.in", "b.out"), ("b.in", "b.out"))]
    cache = cache_with(jobs)
    assert cache.holds(TASK, 0, jobs[0][0]) and cache.holds(TASK, 1, jobs[1][0])
    # only the params object at that index of the list being planned
    assert not cache.holds(TASK, 0, tuple(["a.in", "a.out"]))
    assert not cache.holds(object(), 0, jobs[0][0])


def test_a_verdict_that_no_longer_holds_is_dropped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.in", "a.out"):
        Path(name).write_text("x")
    jobs = [(("a.in", "a.out"), ("a.in", "a.out"))]
    cache = cache_with(jobs)
    st = os.stat("a.in")
    os.utime("a.in", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert not cache.holds(TASK, 0, jobs[0][0])
    assert 0 not in cache.current[TASK]["verdicts"]  # the full check that follows skips it
    assert not cache.known_up_to_date(TASK, jobs[0][0])


def test_a_job_that_ran_keeps_its_inputs_as_its_check_saw_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    inputs = ["a.in", "b.in"]
    for name in inputs:
        Path(name).write_text("x")
    params = (inputs, "all.out")
    seen = {name: os.stat(name) for name in inputs}
    assert inputs_seen(params, {"a.in": seen["a.in"]}) is None  # (not all seen: stat'ed again after the job)
    before = inputs_seen(params, seen)
    started = time.time()
    Path("all.out").write_text("x")
    settled = time.time()
    assert ran_signature(params, started, settled, before) == ran_signature(params, started, settled) == signature(params)
    os.remove("b.in")
    assert ran_signature(params, started, settled) is None
    assert ran_signature(params, started, settled, before)[:2] == before  # (as seen: the next run sees it changed)
