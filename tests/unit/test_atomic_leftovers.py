"""``atomic`` at run start: the temporary files of killed jobs go, those still being written stay.

Each job runs in a forked child, as in a Luigi worker: ``before_job`` there, half an output
written, then the child is killed (SIGKILL, no hook after it) or kept waiting on a pipe.
A new strategy instance's ``run_started`` then plays the next run starting.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ruffus_luigi.checkpoints import CheckpointJob, RunInfo
from ruffus_luigi.checkpoints.atomic import Atomic
from ruffus_luigi.checkpoints.atomic_leftovers import TABLE
from ruffus_luigi.checkpoints.atomic_owners import owner_ended, this_process
from ruffus_luigi.checkpoints.atomic_paths import OWNER, TMP_DIR


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    return tmp_path


def started(workdir: Path) -> Atomic:
    """A run starting in ``workdir``: the strategy as the driver has it after ``run_started``."""
    strategy = Atomic()
    strategy.run_started(RunInfo(str(workdir), str(workdir / ".ruffus_history.sqlite"), [], [], lambda: iter(())))
    return strategy


def job(output: str, in_process: bool = True) -> CheckpointJob:
    return CheckpointJob("main::make", (None, output), [], [output], in_process=in_process)


@contextmanager
def writer(strategy: Atomic, cjob: CheckpointJob, end: str) -> Iterator[int]:
    """Fork a child that starts ``cjob`` and writes half its output, then is "killed" or "waits".

    Gives the child's pid once the half is written; a waiting child is killed and reaped after.
    """
    ready_r, ready_w = os.pipe()
    hold_r, hold_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        try:
            strategy.before_job(cjob)
            with open(cjob.params[1], "w") as f:
                f.write("half")
            os.write(ready_w, b"x")
            if end == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            os.read(hold_r, 1)
        finally:
            os._exit(1)
    os.close(ready_w)  # so that a child failing early ends the read below
    os.close(hold_r)
    reaped = False
    try:
        assert os.read(ready_r, 1) == b"x", "the child did not start its job"
        if end == "killed":
            reaped = bool(os.waitpid(pid, 0))
        yield pid
    finally:
        os.close(ready_r)
        os.close(hold_w)
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def leftovers(workdir: Path) -> list[str]:
    return sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*") if TMP_DIR in p.parts)


def listed(workdir: Path) -> list[str]:
    with sqlite3.connect(workdir / ".ruffus_history.sqlite") as con:
        return [row[0] for row in con.execute("SELECT directory FROM %s" % TABLE)]


def test_run_start_removes_what_a_killed_job_left(workdir):
    with writer(started(workdir), job("d/out.txt"), "killed"):
        found = leftovers(workdir)
        assert len(found) == 4 and found[-1].endswith("/out.txt")  # .ruffus_luigi.tmp, key dir, owner, file
        assert listed(workdir) == [str(workdir / "d" / TMP_DIR)]
    started(workdir)
    assert leftovers(workdir) == []
    assert listed(workdir) == []  # the directory is gone, and so is its row
    assert not (workdir / "d" / "out.txt").exists()


def test_run_start_keeps_the_temporary_file_of_a_job_still_running(workdir):
    """The job of another run still going (e.g. against the same luigid) is left alone."""
    with writer(started(workdir), job("d/out.txt"), "waits") as pid:
        before = leftovers(workdir)
        started(workdir)
        assert leftovers(workdir) == before
        temporary = next(workdir.rglob("out.txt"))
        assert temporary.read_text() == "half"
        owner = next(workdir.rglob("*" + OWNER)).read_text()
        assert owner.split()[3] == str(pid) and not owner_ended(owner)
    started(workdir)  # and once that process is gone
    assert leftovers(workdir) == []


def test_run_start_keeps_a_job_a_back_end_ran_elsewhere(workdir):
    """A cluster job may outlive the process that submitted it: its directory has no owner to check."""
    with writer(started(workdir), job("d/out.txt", in_process=False), "killed"):
        pass
    before = leftovers(workdir)
    assert before and not any(name.endswith(OWNER) for name in before)
    started(workdir)
    assert leftovers(workdir) == before
    # the job running again clears it, and its success leaves nothing
    strategy = started(workdir)
    cjob = job("d/out.txt")
    strategy.before_job(cjob)
    Path(cjob.params[1]).write_text("whole")
    strategy.job_succeeded(cjob)
    assert leftovers(workdir) == []
    assert (workdir / "d" / "out.txt").read_text() == "whole"


def test_run_start_keeps_the_others_in_a_directory(workdir):
    """Of two jobs writing into one directory, the killed one's files go; the running one's stay."""
    with writer(started(workdir), job("d/running.txt"), "waits"):
        with writer(started(workdir), job("d/killed.txt"), "killed"):
            assert len(leftovers(workdir)) == 7
        started(workdir)
        names = [Path(name).name for name in leftovers(workdir)]
        assert "running.txt" in names and "killed.txt" not in names
        assert len(names) == 4
        assert listed(workdir) == [str(workdir / "d" / TMP_DIR)]


def test_owner_ended_only_for_a_process_of_this_machine_that_is_gone():
    me = this_process()
    assert not owner_ended(me)
    host, boot, namespace, pid, start = me.split()
    pid_gone = os.fork()
    if pid_gone == 0:
        os._exit(0)
    os.waitpid(pid_gone, 0)
    assert owner_ended(" ".join([host, boot, namespace, str(pid_gone), start]))
    assert owner_ended(" ".join([host, boot, namespace, pid, str(int(start) + 1)]))  # pid reused since
    for other in (
        " ".join(["another-host", boot, namespace, str(pid_gone), start]),
        " ".join([host, "another-boot", namespace, str(pid_gone), start]),
        " ".join([host, boot, "pid:[1]", str(pid_gone), start]),
        "",
        "garbled",
    ):
        assert not owner_ended(other), other
