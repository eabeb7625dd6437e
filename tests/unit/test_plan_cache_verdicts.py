"""PlanCache.holds: the one-check path planning takes for a job whose last verdict still holds."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ruffus_luigi.plan_cache import PlanCache, signature

TASK = object()  # (the cache keys its current entries by task object only)


def cache_with(jobs: list[tuple]) -> PlanCache:
    """A cache whose current entry for TASK lists ``jobs``, each with its files' verdict as they are now."""
    cache = PlanCache(sqlite3.connect(":memory:"), 1)
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
