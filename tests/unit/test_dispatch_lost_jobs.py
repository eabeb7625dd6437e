"""A lost job's first copy is cancelled before it is resubmitted, so it cannot run twice."""

from __future__ import annotations

import logging
from pathlib import Path

from ruffus_luigi.backends.base import Backend, JobSpec, JobState
from ruffus_luigi.execution.dispatch import Dispatcher


class LosingBackend(Backend):
    """Reports each job's first ``lose`` copies lost (still "running" out of sight), then runs it.

    Every call is recorded in ``calls`` in order, as ``(method, ids)``.
    """

    name = "losing"
    poll_interval = 0.001

    def __init__(self, lose: int = 1, cancel_error: Exception | None = None) -> None:
        self.lose = lose
        self.cancel_error = cancel_error
        self.calls: list[tuple[str, list[str]]] = []
        self.specs: dict[str, JobSpec] = {}
        self.copies: dict[str, int] = {}

    def submit(self, specs: list[JobSpec]) -> list[str]:
        ids = []
        for spec in specs:
            copy = self.copies[spec.name] = self.copies.get(spec.name, 0) + 1
            job_id = "%s#%d" % (spec.name, copy)
            self.specs[job_id] = spec
            ids.append(job_id)
        self.calls.append(("submit", ids))
        return ids

    def poll(self, ids: list[str]) -> dict[str, JobState]:
        self.calls.append(("poll", list(ids)))
        states = {}
        for job_id in ids:
            if int(job_id.rsplit("#", 1)[1]) <= self.lose:
                states[job_id] = JobState.LOST
            else:
                Path(self.specs[job_id].exitcode_path).write_text("0\n")
                states[job_id] = JobState.SUCCEEDED
        return states

    def cancel(self, ids: list[str]) -> None:
        self.calls.append(("cancel", list(ids)))
        if self.cancel_error is not None:
            raise self.cancel_error

    def not_polls(self) -> list[tuple[str, list[str]]]:
        return [c for c in self.calls if c[0] != "poll"]


def specs(tmp_path: Path, *names: str) -> list[JobSpec]:
    return [JobSpec.in_dir(n, str(tmp_path), str(tmp_path), command="true") for n in names]


def test_lost_copy_is_cancelled_before_the_job_is_resubmitted(tmp_path):
    backend = LosingBackend()
    [result] = Dispatcher(backend, lost_retries=2).run(specs(tmp_path, "a"))
    assert result.succeeded and result.attempts == 2 and result.job_id == "a#2"
    assert backend.not_polls() == [("submit", ["a#1"]), ("cancel", ["a#1"]), ("submit", ["a#2"])]


def test_jobs_lost_in_one_cycle_are_cancelled_in_one_call(tmp_path):
    backend = LosingBackend()
    results = Dispatcher(backend).run(specs(tmp_path, "a", "b", "c"))
    assert all(r.succeeded for r in results)
    calls = [(method, sorted(ids)) for method, ids in backend.not_polls()]
    assert calls == [
        ("submit", ["a#1", "b#1", "c#1"]),
        ("cancel", ["a#1", "b#1", "c#1"]),
        ("submit", ["a#2", "b#2", "c#2"]),
    ]


def test_cancel_failure_is_logged_and_the_job_still_resubmitted(tmp_path, caplog):
    backend = LosingBackend(cancel_error=RuntimeError("scancel: invalid job id"))
    with caplog.at_level(logging.WARNING, logger="ruffus_luigi.dispatch"):
        [result] = Dispatcher(backend).run(specs(tmp_path, "a"))
    assert result.succeeded and result.attempts == 2
    assert "cancelling lost job(s) a#1 failed (ignored): scancel: invalid job id" in caplog.text


def test_last_lost_copy_is_cancelled_too_when_no_retry_is_left(tmp_path):
    backend = LosingBackend(lose=5)
    [result] = Dispatcher(backend, lost_retries=1).run(specs(tmp_path, "a"))
    assert result.state is JobState.FAILED and result.attempts == 2 and "lost" in result.message
    assert backend.not_polls() == [
        ("submit", ["a#1"]),
        ("cancel", ["a#1"]),
        ("submit", ["a#2"]),
        ("cancel", ["a#2"]),
    ]
