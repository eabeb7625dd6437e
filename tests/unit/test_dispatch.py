"""The dispatcher against a fake in-memory back end: limits, polling, resubmission, exit codes."""

from __future__ import annotations

import _thread
import os
import threading
from pathlib import Path

import pytest

from ruffus_luigi.backends.base import Backend, JobSpec, JobState, Resources
from ruffus_luigi.execution.dispatch import Dispatcher, shared
from ruffus_luigi.testing.backend_conformance import ctrl_c_raises


class FakeBackend(Backend):
    """Jobs that advance one step per poll: pending -> running -> finished.

    A job's command says how it ends: ``ok``, ``exit:N``, ``lose:K`` (lost on its first K
    attempts, then ok), ``nofile:STATE`` (ends as STATE without writing an exit code),
    ``wrongly-ok:N`` (scheduler says succeeded, the exit code file says N).
    """

    name = "fake"
    poll_interval = 0.001

    def __init__(self) -> None:
        self.jobs: dict[str, dict] = {}
        self.attempts: dict[str, int] = {}
        self.poll_calls: list[list[str]] = []
        self.submit_calls: list[list[str]] = []
        self.cancelled: list[str] = []
        self.live: set[str] = set()
        self.max_live = 0
        self.fail_polls = 0

    def submit(self, specs: list[JobSpec]) -> list[str]:
        ids = []
        for spec in specs:
            n = self.attempts[spec.name] = self.attempts.get(spec.name, 0) + 1
            job_id = "%s#%d" % (spec.name, n)
            self.jobs[job_id] = {"spec": spec, "step": 0, "attempt": n}
            self.live.add(job_id)
            ids.append(job_id)
        self.max_live = max(self.max_live, len(self.live))
        self.submit_calls.append(ids)
        return ids

    def poll(self, ids: list[str]) -> dict[str, JobState]:
        self.poll_calls.append(list(ids))
        if self.fail_polls:
            self.fail_polls -= 1
            raise RuntimeError("scheduler unreachable")
        return {i: self._advance(i) for i in ids}

    def _advance(self, job_id: str) -> JobState:
        job = self.jobs.get(job_id)
        if job is None:
            return JobState.LOST
        job["step"] += 1
        kind, _, arg = (job["spec"].command or os.path.basename(job["spec"].python_job)).partition(":")
        if kind == "pending":
            return JobState.PENDING
        if job["step"] == 1:
            return JobState.PENDING
        if job["step"] == 2:
            return JobState.RUNNING
        self.live.discard(job_id)
        path = job["spec"].exitcode_path
        if kind == "lose" and job["attempt"] <= int(arg):
            return JobState.LOST
        if kind == "nofile":
            return JobState(arg)
        code = {"ok": 0, "lose": 0, "exit": int(arg or 0), "wrongly-ok": int(arg or 0)}[kind]
        Path(path).write_text("%d\n" % code)
        return JobState.SUCCEEDED if kind == "wrongly-ok" or code == 0 else JobState.FAILED

    def cancel(self, ids: list[str]) -> None:
        self.cancelled.extend(ids)
        for i in ids:
            self.live.discard(i)


def specs(tmp_path: Path, *commands: str) -> list[JobSpec]:
    return [JobSpec.in_dir("job%d" % i, str(tmp_path), str(tmp_path), command=c) for i, c in enumerate(commands)]


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def ruffus_luigi_job_submitted(self, backend, job, job_id):
        self.seen.append(("submitted", job_id))

    def ruffus_luigi_job_started(self, backend, job, job_id):
        self.seen.append(("started", job_id))

    def ruffus_luigi_job_finished(self, backend, job, job_id, result):
        self.seen.append(("finished", job_id))


def test_at_most_n_jobs_in_flight(tmp_path):
    backend = FakeBackend()
    results = Dispatcher(backend).run(specs(tmp_path, *["ok"] * 50), max_in_flight=7)
    assert len(results) == 50 and all(r.succeeded for r in results)
    assert backend.max_live == 7
    assert max(len(ids) for ids in backend.poll_calls) == 7


def test_one_poll_per_cycle_for_all_jobs_in_flight(tmp_path):
    backend = FakeBackend()
    dispatcher = Dispatcher(backend)
    dispatcher.run(specs(tmp_path, *["ok"] * 1000))
    # 1,000 queued jobs: all submitted at once, then one poll call per cycle covering all
    assert len(backend.submit_calls) == 1 and len(backend.submit_calls[0]) == 1000
    assert dispatcher.polls == len(backend.poll_calls) == 3
    assert all(len(ids) == 1000 for ids in backend.poll_calls)


def test_one_poller_thread_whatever_the_number_of_jobs(tmp_path):
    backend = FakeBackend()
    before = threading.active_count()
    dispatcher = Dispatcher(backend, poll_interval=0.01)
    seen = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen.append(threading.active_count())
            done.wait(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    dispatcher.run(specs(tmp_path, *["ok"] * 300), max_in_flight=100)
    done.set()
    watcher.join()
    assert max(seen) <= before + 2  # the watcher and the one poller


def test_lost_job_is_resubmitted(tmp_path):
    backend = FakeBackend()
    [result] = Dispatcher(backend, lost_retries=2).run(specs(tmp_path, "lose:2"))
    assert result.succeeded and result.attempts == 3 and result.exit_code == 0
    assert backend.attempts["job0"] == 3


def test_resubmission_is_bounded(tmp_path):
    backend = FakeBackend()
    [result] = Dispatcher(backend, lost_retries=1).run(specs(tmp_path, "lose:5"))
    assert result.state is JobState.FAILED and result.attempts == 2 and result.exit_code is None
    assert "lost" in result.message


def test_exit_code_comes_from_the_file(tmp_path):
    backend = FakeBackend()
    ok, three, liar = Dispatcher(backend).run(specs(tmp_path, "ok", "exit:3", "wrongly-ok:5"))
    assert (ok.state, ok.exit_code) == (JobState.SUCCEEDED, 0)
    assert (three.state, three.exit_code) == (JobState.FAILED, 3)
    assert (liar.state, liar.exit_code) == (JobState.FAILED, 5)  # the file wins over the scheduler


def test_lost_job_that_left_an_exit_code_is_not_resubmitted(tmp_path):
    backend = FakeBackend()
    [spec] = specs(tmp_path, "nofile:lost")
    Path(spec.exitcode_path).write_text("0\n")  # as if written after submission; prepare is the back end's
    [result] = Dispatcher(backend).run([spec])
    assert result.succeeded and backend.attempts["job0"] == 1


def test_finished_without_exit_code_fails_after_the_grace_period(tmp_path):
    backend = FakeBackend()
    [result] = Dispatcher(backend, exit_file_grace=0.05).run(specs(tmp_path, "nofile:succeeded"))
    assert result.state is JobState.FAILED and result.exit_code is None
    assert "no exit code" in result.message
    assert len(backend.poll_calls) > 3  # it kept looking for the file meanwhile


def test_failed_job_has_its_log_tail(tmp_path):
    backend = FakeBackend()
    [spec] = specs(tmp_path, "exit:2")
    Path(spec.stderr_path).write_text("".join("line %d\n" % i for i in range(100)))
    [result] = Dispatcher(backend).run([spec])
    assert "line 99" in result.log_tail and "line 79" not in result.log_tail
    assert "exit code 2" in result.describe()


def test_stop_submits_no_more(tmp_path):
    backend = FakeBackend()
    stop = threading.Event()
    results = Dispatcher(backend).run(
        specs(tmp_path, *["exit:1"] * 10), max_in_flight=2, stop=stop.is_set, on_result=lambda r: stop.set()
    )
    assert len(results) == 2 and sum(map(len, backend.submit_calls)) == 2


def test_job_events_reach_the_hooks(tmp_path):
    events = Events()
    Dispatcher(FakeBackend(), hook=events).run(specs(tmp_path, "ok"))
    assert [e for e, _ in events.seen] == ["submitted", "started", "finished"]


def test_poll_failures_are_retried_then_fail_the_jobs(tmp_path):
    backend = FakeBackend()
    backend.fail_polls = 2
    [result] = Dispatcher(backend).run(specs(tmp_path, "ok"))
    assert result.succeeded
    backend = FakeBackend()
    backend.fail_polls = 100
    [result] = Dispatcher(backend).run(specs(tmp_path, "ok"))
    assert result.state is JobState.FAILED and "cannot be polled" in result.message


def test_submission_failure_fails_the_jobs(tmp_path):
    backend = FakeBackend()

    def refuse(specs):
        raise RuntimeError("queue closed")

    backend.submit = refuse  # type: ignore[method-assign]
    a, b = Dispatcher(backend).run(specs(tmp_path, "ok", "ok"))
    assert a.state is b.state is JobState.FAILED and "queue closed" in a.message


def test_concurrent_callers_share_one_poll_per_cycle(tmp_path):
    backend = FakeBackend()
    dispatcher = Dispatcher(backend, poll_interval=0.02)
    out: dict[int, list] = {}

    def caller(k):
        out[k] = dispatcher.run(
            [JobSpec.in_dir("c%d_%d" % (k, i), str(tmp_path), str(tmp_path), command="ok") for i in range(20)]
        )

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(r) == 20 and all(x.succeeded for x in r) for r in out.values())
    assert dispatcher.polls == len(backend.poll_calls) <= dispatcher.cycles
    assert max(len(ids) for ids in backend.poll_calls) > 20  # one poll served several callers


@pytest.mark.timeout(60)
def test_interrupt_cancels_the_callers_jobs(tmp_path):
    backend = FakeBackend()
    timer = threading.Timer(0.2, _thread.interrupt_main)  # Ctrl-C while the jobs are queued
    with ctrl_c_raises(), pytest.raises(KeyboardInterrupt):  # (even where SIGINT was ignored)
        timer.start()
        Dispatcher(backend).run(specs(tmp_path, "pending", "pending"))
    assert sorted(backend.cancelled) == ["job0#1", "job1#1"]


def test_shared_dispatcher_is_per_process_and_name(tmp_path):
    made = []

    def make():
        made.append(FakeBackend())
        return made[-1]

    a = shared("fake-%d" % id(made), make)
    assert shared("fake-%d" % id(made), make) is a and len(made) == 1
    pid = os.fork()
    if pid == 0:  # a forked Luigi worker makes its own
        os._exit(0 if shared("fake-%d" % id(made), make) is not a else 1)
    assert os.waitpid(pid, 0)[1] == 0


# ------------------------------------------------------------------------------ groups


class GroupingFake(FakeBackend):
    """The fake, grouping: ``submit_group`` records each group, then submits its jobs."""

    max_group_size = 5

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[list[str]] = []
        self.live_groups: list[int] = []

    def submit_group(self, specs: list[JobSpec]) -> list[str]:
        self.groups.append([s.name for s in specs])
        return self.submit(specs)


def python_specs(tmp_path: Path, *kinds: str, resources: Resources | None = None, first: int = 0) -> list[JobSpec]:
    """Python jobs whose packed directory's name says how the fake ends them."""
    return [
        JobSpec.in_dir("py%d" % (first + i), str(tmp_path), str(tmp_path), python_job=str(tmp_path / k),
                       resources=resources or Resources())
        for i, k in enumerate(kinds)
    ]


@pytest.mark.timeout(60)
def test_groups_are_even_and_at_most_the_back_end_allows(tmp_path):
    backend = GroupingFake()
    results = Dispatcher(backend).run(python_specs(tmp_path, *["ok"] * 12), max_in_flight=3, group_size=20)
    assert all(r.succeeded for r in results) and len({r.job_id for r in results}) == 12
    assert [len(g) for g in backend.groups] == [4, 4, 4]  # 12 jobs, 3 slots: 3 groups of 4
    backend = GroupingFake()
    Dispatcher(backend).run(python_specs(tmp_path, *["ok"] * 12), group_size=20)
    assert [len(g) for g in backend.groups] == [5, 5, 2]  # no limit: groups of max_group_size


@pytest.mark.timeout(60)
def test_in_flight_counts_cluster_jobs(tmp_path):
    backend = GroupingFake()
    results = Dispatcher(backend).run(python_specs(tmp_path, *["ok"] * 30), max_in_flight=2, group_size=3)
    assert all(r.succeeded for r in results)
    assert all(len(g) == 3 for g in backend.groups) and len(backend.groups) == 10
    assert backend.max_live == 6  # 2 cluster jobs of 3


@pytest.mark.timeout(60)
def test_jobs_with_other_resources_and_shell_commands_are_never_grouped(tmp_path):
    backend = GroupingFake()
    big = Resources(memory="8G")
    jobs = python_specs(tmp_path, "ok", "ok") + python_specs(tmp_path, "ok", "ok", resources=big, first=2)
    jobs += specs(tmp_path, "ok", "ok")
    results = Dispatcher(backend).run(jobs, group_size=10)
    assert all(r.succeeded for r in results)
    assert backend.groups == [["py0", "py1"], ["py2", "py3"]]
    assert ["job0#1"] in backend.submit_calls or ["job0#1", "job1#1"] in backend.submit_calls


@pytest.mark.timeout(60)
def test_back_end_without_groups_gets_one_job_per_cluster_job(tmp_path):
    backend = FakeBackend()
    called = []
    backend.submit_group = lambda specs: called.append(specs)  # type: ignore[method-assign]
    results = Dispatcher(backend).run(python_specs(tmp_path, *["ok"] * 10), max_in_flight=4, group_size=20)
    assert all(r.succeeded for r in results) and not called and backend.max_live == 4


@pytest.mark.timeout(60)
def test_a_lost_member_goes_out_again_and_only_it(tmp_path):
    backend = GroupingFake()
    results = Dispatcher(backend).run(python_specs(tmp_path, "ok", "lose:1", "ok"), max_in_flight=1, group_size=3)
    assert [r.attempts for r in results] == [1, 2, 1] and all(r.succeeded for r in results)
    assert backend.groups == [["py0", "py1", "py2"]] and backend.submit_calls[-1] == ["py1#2"]
    assert backend.cancelled == ["py1#1"]


@pytest.mark.timeout(60)
def test_interrupt_keeps_the_result_of_a_job_that_wrote_its_exit_code(tmp_path):
    """A job of a group may end long before a poll says so: Ctrl-C then cancels only the others."""
    backend = GroupingFake()
    jobs = python_specs(tmp_path, "pending", "pending")
    results = []

    def first_ends_then_ctrl_c():
        Path(jobs[0].exitcode_path).write_text("0\n")
        _thread.interrupt_main()

    timer = threading.Timer(0.2, first_ends_then_ctrl_c)
    with ctrl_c_raises(), pytest.raises(KeyboardInterrupt):
        timer.start()
        Dispatcher(backend, poll_interval=30).run(jobs, group_size=2, on_result=results.append)
    assert [(r.spec.name, r.state, r.exit_code) for r in results] == [("py0", JobState.SUCCEEDED, 0)]
    assert backend.cancelled == ["py1#1"]
