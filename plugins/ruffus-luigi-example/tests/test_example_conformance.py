"""The ``example`` back end against ruffus-luigi's conformance kit, plus what it adds: walltime."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ruffus_luigi_example.backend import ExampleBackend

from ruffus_luigi.backends import JobSpec, JobState, Resources
from ruffus_luigi.backends.base import read_exit_code
from ruffus_luigi.testing.backend_conformance import BackendConformance


class TestExampleBackend(BackendConformance):
    """Every case of the kit: submit, poll, cancel, exit codes, Python jobs, lost jobs..."""

    timeout = 60.0

    @pytest.fixture
    def backend(self):
        backend = ExampleBackend(poll_interval="0.05")
        yield backend
        backend.close()


def test_a_job_over_its_walltime_is_stopped(tmp_path: Path) -> None:
    backend = ExampleBackend()
    spec = JobSpec.in_dir(
        "slow", str(tmp_path / "logs"), str(tmp_path), command="sleep 60", resources=Resources(walltime="1")
    )
    try:
        [job_id] = backend.submit([spec])
        started = time.monotonic()
        while backend.poll([job_id])[job_id] is JobState.RUNNING:
            assert time.monotonic() - started < 30, "still running after 30 s"
            time.sleep(0.1)
        assert backend.poll([job_id])[job_id] is JobState.FAILED
        assert read_exit_code(spec.exitcode_path) is None  # killed: its wrapper recorded nothing
    finally:
        backend.close()
