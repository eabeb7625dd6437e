"""Conformance tests for a back end: inherit them and supply your back end as a fixture.

::

    import pytest
    from ruffus_luigi.testing.backend_conformance import BackendConformance

    class TestMyBackend(BackendConformance):
        @pytest.fixture
        def backend(self):
            backend = MyBackend()
            yield backend
            backend.close()

The tests run real jobs: short shell commands and Python jobs (``python -m
ruffus_luigi.cli.remote``), so the machine running them must be able to submit, and the
nodes must see ``job_dir`` (override the fixture for a shared file system; the default
is pytest's ``tmp_path``). ``timeout`` bounds each wait.
"""

from __future__ import annotations

import _thread
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..backends.base import (
    Backend,
    JobResult,
    JobSpec,
    JobState,
    Resources,
    cluster_job_id,
    read_exit_code,
)
from ..execution import pyjob
from ..execution.dispatch import Dispatcher


def write_marker(path: str, text: str) -> None:
    """A task function for Python jobs (importable on the node by module path)."""
    with open(path, "w") as f:
        f.write(text)


def raise_value_error(message: str) -> None:
    """A task function that fails."""
    raise ValueError(message)


def report(path: str, text: str, how: str = "ok") -> None:
    """A task function for grouped jobs: prints, writes ``path``, then ends as ``how`` says:
    ``ok``; ``raise``; ``killed`` (SIGKILL to itself); ``kill-runner`` (SIGKILL to the process
    that runs it: a group's runner, or a single job's wrapper); ``sleep`` (for 600 s)."""
    print("out " + text)
    print("err " + text, file=sys.stderr)
    with open(path, "w") as f:
        f.write(text)
    sys.stdout.flush()
    sys.stderr.flush()
    if how == "raise":
        raise ValueError(text)
    if how == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "kill-runner":
        os.kill(os.getppid(), signal.SIGKILL)
    if how == "sleep":
        time.sleep(600)


@contextmanager
def ctrl_c_raises() -> Iterator[None]:
    """Make Ctrl-C (SIGINT) raise KeyboardInterrupt in this process for the block, then restore.

    A process started where SIGINT is ignored (``nohup``, ``cmd &`` in a script, some CI
    runners) inherits that, and Python then never raises KeyboardInterrupt: a test of
    what Ctrl-C does must set the handler it relies on. Main thread only (as ``signal``).
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class BackendConformance:
    """The contract of ``ruffus_luigi.backends.base.Backend``, as tests."""

    timeout: float = 180.0
    unknown_job_id: str = "999999999"

    @pytest.fixture
    def job_dir(self, tmp_path: Path) -> Path:
        """Where jobs log and run; must be visible to the nodes."""
        return tmp_path

    # -- helpers --------------------------------------------------------------------------
    def spec(self, job_dir: Path, name: str, command: str, **kwargs) -> JobSpec:
        return JobSpec.in_dir(name, str(job_dir / "logs"), str(job_dir), command=command, **kwargs)

    def wait(self, backend: Backend, ids: list[str], until=lambda s: s.finished or s is JobState.LOST) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            states = backend.poll(ids)
            if all(until(states[i]) for i in ids):
                return states
            assert time.monotonic() < deadline, "jobs not done after %s s: %s" % (self.timeout, states)
            time.sleep(max(0.05, min(backend.poll_interval, 2.0)))

    def dispatch(
        self, backend: Backend, specs: list[JobSpec], lost_retries: int = 2, grace: float = 30.0, **kwargs
    ) -> tuple[list[JobResult], Dispatcher]:
        dispatcher = Dispatcher(backend, lost_retries=lost_retries, exit_file_grace=grace)
        return dispatcher.run(specs, **kwargs), dispatcher

    def reporting(self, job_dir: Path, hows: list[str]) -> list[JobSpec]:
        """Python jobs ``report(<job_dir>/g<i>.txt, "job <i>", hows[i])``."""
        specs = []
        for i, how in enumerate(hows):
            out = str(job_dir / ("g%d.txt" % i))
            packed = pyjob.pack(str(job_dir / ("g%d" % i)), "group", "Job = [g%d]" % i, report, (out, "job %d" % i, how))
            specs.append(JobSpec.in_dir("g%d" % i, str(job_dir / "logs"), str(job_dir), python_job=packed))
        return specs

    def grouped(self, backend: Backend, results: list[JobResult]) -> bool:
        """Did these jobs run as one cluster job (a back end that groups), or each as its own?"""
        clusters = {cluster_job_id(r.job_id) for r in results}
        if backend.max_group_size > 1:
            assert len(clusters) == 1, [r.job_id for r in results]
            return True
        assert len(clusters) == len(results), [r.job_id for r in results]
        return False

    # -- the contract -------------------------------------------------------------------------
    def test_submit_gives_one_id_per_job_and_poll_answers_for_each(self, backend: Backend, job_dir: Path) -> None:
        specs = [self.spec(job_dir, "ids%d" % i, "true") for i in range(3)]
        ids = backend.submit(specs)
        assert len(ids) == 3 and len(set(ids)) == 3 and all(isinstance(i, str) and i for i in ids)
        states = backend.poll(ids)
        assert set(states) == set(ids) and all(isinstance(s, JobState) for s in states.values())
        assert set(self.wait(backend, ids).values()) == {JobState.SUCCEEDED}

    def test_success_writes_exit_code_0_beside_the_logs(self, backend: Backend, job_dir: Path) -> None:
        spec = self.spec(job_dir, "ok", "echo to-stdout; echo to-stderr >&2")
        [job_id] = backend.submit([spec])
        assert self.wait(backend, [job_id])[job_id] is JobState.SUCCEEDED
        assert read_exit_code(str(job_dir / "logs" / "ok.exitcode")) == 0
        assert Path(spec.stdout_path).read_text() == "to-stdout\n"
        assert Path(spec.stderr_path).read_text() == "to-stderr\n"

    def test_failure_reports_failed_and_its_exit_code(self, backend: Backend, job_dir: Path) -> None:
        spec = self.spec(job_dir, "three", "echo failing; exit 3")
        [job_id] = backend.submit([spec])
        assert self.wait(backend, [job_id])[job_id] is JobState.FAILED
        assert read_exit_code(spec.exitcode_path) == 3
        assert Path(spec.stdout_path).read_text() == "failing\n"

    def test_job_runs_in_its_working_directory_with_its_environment(self, backend: Backend, job_dir: Path) -> None:
        work = job_dir / "work dir"
        work.mkdir()
        spec = JobSpec.in_dir(
            "env", str(job_dir / "logs"), str(work), command='pwd; echo "$RL_TEST_VALUE"', env={"RL_TEST_VALUE": "a b'c"}
        )
        [job_id] = backend.submit([spec])
        assert self.wait(backend, [job_id])[job_id] is JobState.SUCCEEDED
        assert Path(spec.stdout_path).read_text().splitlines() == [os.path.realpath(work), "a b'c"]

    def test_resources_are_accepted(self, backend: Backend, job_dir: Path) -> None:
        spec = self.spec(job_dir, "res", "true", resources=Resources(memory="64M", threads=1, walltime="0:05:00"))
        [job_id] = backend.submit([spec])
        assert self.wait(backend, [job_id])[job_id] is JobState.SUCCEEDED

    def test_cancel_stops_a_running_job(self, backend: Backend, job_dir: Path) -> None:
        spec = self.spec(job_dir, "sleeper", "sleep 600")
        [job_id] = backend.submit([spec])
        self.wait(backend, [job_id], until=lambda s: s is not JobState.PENDING)
        backend.cancel([job_id])
        state = self.wait(backend, [job_id])[job_id]
        assert state in (JobState.FAILED, JobState.LOST)
        assert read_exit_code(spec.exitcode_path) in (None, *range(1, 256))

    def test_ctrl_c_cancels_the_jobs_in_flight(self, backend: Backend, job_dir: Path) -> None:
        specs = [self.spec(job_dir, "ctrlc%d" % i, "sleep 600") for i in range(2)]
        submitted: list[str] = []
        submit = backend.submit

        def recording_submit(batch: list[JobSpec]) -> list[str]:
            ids = submit(batch)
            submitted.extend(ids)
            return ids

        def ctrl_c_once_submitted() -> None:
            deadline = time.monotonic() + self.timeout
            while len(submitted) < len(specs) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)
            _thread.interrupt_main()  # what Ctrl-C does to the process running the pipeline

        backend.submit = recording_submit  # type: ignore[method-assign]
        try:
            with ctrl_c_raises(), pytest.raises(KeyboardInterrupt):
                threading.Thread(target=ctrl_c_once_submitted, daemon=True).start()
                self.dispatch(backend, specs)
        finally:
            del backend.submit
        assert len(submitted) == 2
        # cancelled on the cluster: they end now, not after their 600 s
        states = self.wait(backend, submitted)
        assert set(states.values()) <= {JobState.FAILED, JobState.LOST}, states

    def test_unknown_id_is_lost(self, backend: Backend) -> None:
        assert backend.poll([self.unknown_job_id]) == {self.unknown_job_id: JobState.LOST}

    def test_python_job_runs_the_task_function(self, backend: Backend, job_dir: Path) -> None:
        out = str(job_dir / "python.out")
        packed = pyjob.pack(str(job_dir / "pyjob"), "write", "Job = [python.out]", write_marker, (out, "done"))
        spec = JobSpec.in_dir("pyjob", str(job_dir / "logs"), str(job_dir), python_job=packed)
        [result], _ = self.dispatch(backend, [spec])
        assert result.succeeded, result.describe()
        assert Path(out).read_text() == "done"
        answer = pyjob.read_result(packed)
        assert answer["error"] is None and answer["signalled_break"] is False

    def test_python_job_exception_comes_back(self, backend: Backend, job_dir: Path) -> None:
        packed = pyjob.pack(str(job_dir / "pyfail"), "fail", "Job = [x]", raise_value_error, ("no good",))
        spec = JobSpec.in_dir("pyfail", str(job_dir / "logs"), str(job_dir), python_job=packed)
        [result], _ = self.dispatch(backend, [spec])
        assert result.state is JobState.FAILED and result.exit_code == 1
        error = pyjob.read_result(packed)["error"]
        assert error[:4] == ("fail", "Job = [x]", "builtins.ValueError", "(no good)")

    def test_many_jobs_bounded_in_flight_one_poll_per_cycle(self, backend: Backend, job_dir: Path) -> None:
        calls: list[int] = []
        submitted: list[str] = []
        poll, submit = backend.poll, backend.submit

        def counting_poll(ids: list[str]) -> dict[str, JobState]:
            calls.append(len(ids))
            return poll(ids)

        def counting_submit(specs: list[JobSpec]) -> list[str]:
            ids = submit(specs)
            submitted.extend(ids)
            return ids

        backend.poll, backend.submit = counting_poll, counting_submit  # type: ignore[method-assign]
        try:
            specs = [self.spec(job_dir, "many%02d" % i, "echo %d" % i) for i in range(12)]
            results, dispatcher = self.dispatch(backend, specs, max_in_flight=4)
        finally:
            del backend.poll, backend.submit
        assert [r.index for r in results] == list(range(12)) and all(r.succeeded for r in results)
        assert len(submitted) == 12
        assert max(calls) <= 4  # never more than 4 in flight
        assert len(calls) == dispatcher.polls <= dispatcher.cycles  # one poll per cycle
        assert [Path(s.stdout_path).read_text() for s in specs] == ["%d\n" % i for i in range(12)]

    def test_failed_job_is_reported_with_its_exit_code_and_not_resubmitted(
        self, backend: Backend, job_dir: Path
    ) -> None:
        # Only lost jobs are resubmitted (retrying failures is Luigi's retry_count's job):
        # a back end that calls a failed job lost, e.g. once it has left the queue, fails this.
        submitted: list[str] = []
        submit = backend.submit

        def recording_submit(specs: list[JobSpec]) -> list[str]:
            ids = submit(specs)
            submitted.extend(ids)
            return ids

        backend.submit = recording_submit  # type: ignore[method-assign]
        try:
            spec = self.spec(job_dir, "fails", "echo why-it-failed >&2; exit 42")
            [result], _ = self.dispatch(backend, [spec], lost_retries=2)
        finally:
            del backend.submit
        assert (result.state, result.exit_code, result.attempts) == (JobState.FAILED, 42, 1), result.describe()
        assert len(submitted) == 1
        assert "exit code 42" in result.describe() and "why-it-failed" in result.log_tail

    def test_lost_job_is_cancelled_then_resubmitted_and_succeeds(self, backend: Backend, job_dir: Path) -> None:
        # The back end loses track of a job that still runs: the first copy marks itself
        # and sleeps; the poll then says lost once. The dispatcher must cancel that copy
        # before it resubmits the job, whose second copy finds the mark and succeeds.
        mark = job_dir / "first-copy.started"
        command = "if [ -e {m} ]; then echo second-copy; else touch {m}; sleep 600; echo first-copy; fi"
        spec = self.spec(job_dir, "lost", command.format(m=shlex.quote(str(mark))))
        calls: list[tuple[str, list[str]]] = []
        submit, poll, cancel = backend.submit, backend.poll, backend.cancel

        def recording_submit(specs: list[JobSpec]) -> list[str]:
            ids = submit(specs)
            calls.append(("submit", ids))
            return ids

        def losing_poll(ids: list[str]) -> dict[str, JobState]:
            states = poll(ids)
            first = calls[0][1][0]
            if first in states and mark.exists() and ("lost", [first]) not in calls:
                calls.append(("lost", [first]))
                states[first] = JobState.LOST
            return states

        def recording_cancel(ids: list[str]) -> None:
            calls.append(("cancel", list(ids)))
            cancel(ids)

        backend.submit, backend.poll = recording_submit, losing_poll  # type: ignore[method-assign]
        backend.cancel = recording_cancel  # type: ignore[method-assign]
        try:
            [result], _ = self.dispatch(backend, [spec], lost_retries=1)
        finally:
            del backend.submit, backend.poll, backend.cancel
            if calls and ("cancel", calls[0][1]) not in calls:
                backend.cancel(calls[0][1])  # leave no sleep 600 behind
        assert result.succeeded and result.attempts == 2, result.describe()
        [first], [second] = calls[0][1], calls[-1][1]
        assert calls == [("submit", [first]), ("lost", [first]), ("cancel", [first]), ("submit", [second])], calls
        assert first != second and result.job_id == second
        # The first copy was really stopped: it ends now, not after its sleep 600. Its state
        # may be read from the exit code file it shares with the second copy: any end will do.
        self.wait(backend, [first])
        assert Path(spec.stdout_path).read_text() == "second-copy\n"
        assert read_exit_code(spec.exitcode_path) == 0

    # -- groups: several Python jobs in one cluster job (``Backend.submit_group``) ------------
    # A back end that does not group (``max_group_size`` 1) passes these too, one job at a time.

    def test_group_gives_each_job_its_logs_exit_code_and_result(self, backend: Backend, job_dir: Path) -> None:
        specs = self.reporting(job_dir, ["ok", "raise", "ok", "ok"])
        results, _ = self.dispatch(backend, specs, max_in_flight=1, group_size=4)
        self.grouped(backend, results)
        assert [r.state for r in results] == [JobState.SUCCEEDED, JobState.FAILED, JobState.SUCCEEDED, JobState.SUCCEEDED]
        assert [r.exit_code for r in results] == [0, 1, 0, 0] and all(r.attempts == 1 for r in results)
        assert len({r.job_id for r in results}) == 4
        for i, spec in enumerate(specs):
            assert Path(spec.stdout_path).read_text() == "out job %d\n" % i
            assert Path(spec.stderr_path).read_text().startswith("err job %d\n" % i)
            assert Path(job_dir / ("g%d.txt" % i)).read_text() == "job %d" % i
            assert read_exit_code(spec.exitcode_path) == (1 if i == 1 else 0)
            error = pyjob.read_result(spec.python_job or "")["error"]
            assert (error[:4] == ("group", "Job = [g1]", "builtins.ValueError", "(job 1)")) if i == 1 else error is None

    def test_group_job_killed_fails_alone(self, backend: Backend, job_dir: Path) -> None:
        specs = self.reporting(job_dir, ["ok", "killed", "ok"])
        results, _ = self.dispatch(backend, specs, max_in_flight=1, group_size=3)
        self.grouped(backend, results)
        assert [(r.state, r.exit_code, r.attempts) for r in results] == [
            (JobState.SUCCEEDED, 0, 1), (JobState.FAILED, 128 + signal.SIGKILL, 1), (JobState.SUCCEEDED, 0, 1)
        ], [r.describe() for r in results]

    def test_group_cut_short_resubmits_only_the_jobs_it_never_started(self, backend: Backend, job_dir: Path) -> None:
        # job 1 kills what runs it: in a group, jobs 2 and 3 never start (lost, resubmitted);
        # job 0 stays done and job 1 fails (it left no exit code), neither runs again
        specs = self.reporting(job_dir, ["ok", "kill-runner", "ok", "ok"])
        results, _ = self.dispatch(backend, specs, max_in_flight=1, group_size=4, grace=3.0)
        grouped = self.grouped(backend, results[:2])
        assert [r.state for r in results] == [JobState.SUCCEEDED, JobState.FAILED, JobState.SUCCEEDED, JobState.SUCCEEDED]
        assert [r.attempts for r in results] == [1, 1, 2, 2] if grouped else [1, 1, 1, 1]
        assert read_exit_code(specs[1].exitcode_path) is None
        assert [Path(s.stdout_path).read_text() for s in specs[2:]] == ["out job 2\n", "out job 3\n"]

    def test_cancel_stops_every_job_of_a_group(self, backend: Backend, job_dir: Path) -> None:
        specs = self.reporting(job_dir, ["sleep", "ok"])
        ids = backend.submit_group(specs) if backend.max_group_size > 1 else backend.submit(specs)
        assert len(ids) == 2 and len(set(ids)) == 2
        self.wait(backend, ids[:1], until=lambda s: s is not JobState.PENDING)
        backend.cancel(ids)
        states = self.wait(backend, ids)
        assert set(states.values()) <= {JobState.FAILED, JobState.LOST, JobState.SUCCEEDED}, states
        assert states[ids[0]] is not JobState.SUCCEEDED and read_exit_code(specs[0].exitcode_path) in (None, *range(1, 256))
