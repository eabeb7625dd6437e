"""One run per working directory: a second run never runs a job an earlier, living process runs.

The pipeline is tests/pipelines/scenarios/checkpoint_chain.py (through checkpoint_kit): a
held job keeps the first run busy while a second one starts in the same directory.

- a second run while the first is alive waits (saying so), and refuses after
  RUFFUS_LUIGI_LOCK_WAIT seconds with a message naming the holder; it started no job;
- two runs started at once: the second waits for the first, then has nothing to do; each
  job ran once and the files are those of one run;
- the driver killed with SIGKILL while a worker runs a job that ignores SIGTERM: the
  orphan keeps the directory locked until it ends, then a rerun does exactly what is left;
- the lock file as a symbolic link (to another user's file) or a FIFO: the run refuses
  without following or blocking, and the file linked to is untouched; a hard link to a
  file is never written.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from checkpoint_kit import (  # noqa: E402
    ALL_JOBS,
    check_rerun,
    finish,
    log_lines,
    reference,
    snapshot,
    start,
    wait_for,
    wait_half_written,
    workdir_in,
)

LOCK = ".ruffus_luigi.lock"


def output_of(proc) -> Path:
    return Path(proc.out_file.name)


def stop_all(*procs) -> None:
    for proc in procs:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.timeout(180)
@pytest.mark.held("one run per directory", "adversarial")
def test_second_run_while_the_first_is_alive_waits_then_refuses_naming_it(tmp_path, tmp_path_factory):
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(tmp_path)
    first = start(workdir, "history", {"HOLD": "s1.mid"})
    second = None
    try:
        wait_half_written(workdir, ["mid s1.mid"])
        second = start(workdir, "history", {"RUFFUS_LUIGI_LOCK_WAIT": "1"})
        rc, out = finish(second, timeout=60)
        assert rc != 0, out
        assert "waiting up to 1 s" in out
        assert "Another run is using the working directory %s" % workdir in out, out
        assert str(first.pid) in out, "the message must name the process holding the directory: " + out
        assert "Tasks which will be run" not in out, "the refused run must stop before planning"
        (workdir / "release").touch()
        rc, out = finish(first)
        assert rc == 0, out
    finally:
        stop_all(first, second)
    assert Counter(job for e, job, *_ in log_lines(workdir) if e == "start") == Counter(ALL_JOBS)
    assert snapshot(workdir) == expected
    assert not (workdir / LOCK).exists(), "a run that ended cleanly leaves no lock file"


@pytest.mark.timeout(180)
@pytest.mark.held("one run per directory", "adversarial")
def test_two_runs_started_at_once_each_job_runs_once(tmp_path, tmp_path_factory):
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(tmp_path)
    first = start(workdir, "history", {"HOLD": "s1.mid"})
    second = start(workdir, "history", {"HOLD": "s1.mid", "RUFFUS_LUIGI_LOCK_WAIT": "120"})
    try:
        wait_half_written(workdir, ["mid s1.mid"])
        wait_for(lambda: any("waiting up to" in output_of(p).read_text() for p in (first, second)),
                 "one of the runs to wait for the other", timeout=30)
        (workdir / "release").touch()
        for proc in (first, second):
            rc, out = finish(proc)
            assert rc == 0, out
    finally:
        stop_all(first, second)
    assert Counter(job for e, job, *_ in log_lines(workdir) if e == "start") == Counter(ALL_JOBS)
    assert snapshot(workdir) == expected


@pytest.mark.timeout(240)
@pytest.mark.held("one run per directory", "adversarial")
@pytest.mark.parametrize("strategy", ["history", "atomic"])
def test_orphan_of_a_killed_driver_keeps_the_directory_until_it_ends(strategy, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    first = start(workdir, strategy, {"HOLD": "s1.mid", "HOLD_IGNORES_SIGTERM": "1"})
    second = orphan = None
    try:
        orphan, _ = wait_half_written(workdir, ["mid s1.mid"])["mid s1.mid"]
        assert orphan != first.pid
        others = ALL_JOBS - {"mid s1.mid", "end s1.end", "total total.txt"}
        wait_for(lambda: others <= {job for e, job, *_ in log_lines(workdir) if e == "done"}, "the other samples", 60)
        time.sleep(1)  # (their outputs renamed into place and recorded: only the held job runs now)
        os.kill(first.pid, signal.SIGKILL)  # the driver alone
        first.wait()
        killed_at = len(log_lines(workdir))
        second = start(workdir, strategy, {"RUFFUS_LUIGI_LOCK_WAIT": "2"})
        rc, out = finish(second, timeout=60)
        assert rc != 0, out
        assert "Another run is using the working directory" in out and str(orphan) in out, out
        (workdir / "release").touch()  # the orphan finishes its job, starts no other, and leaves
        wait_for(lambda: not os.path.exists("/proc/%d" % orphan) or _zombie(orphan), "the orphan to end", 30)
        (workdir / "release").unlink()
        done = {job for e, job, *_ in log_lines(workdir) if e == "done"}
        assert "mid s1.mid" in done
        started_after = [job for e, job, *_ in log_lines(workdir)[killed_at:] if e == "start"]
        assert started_after == [], "jobs started after the driver was killed: %s" % started_after
        check_rerun(workdir, strategy, expected, set())
    finally:
        stop_all(first, second)
        if orphan is not None:
            try:
                os.kill(orphan, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _zombie(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.timeout(120)
@pytest.mark.held("one run per directory", "adversarial")
@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_lock_file_planted_as_a_symlink_or_fifo_is_refused_untouched(kind, tmp_path):
    workdir = workdir_in(tmp_path)
    victim = tmp_path / "someone-elses-file"
    victim.write_text("precious\n")
    if kind == "symlink":
        os.symlink(victim, workdir / LOCK)
    else:
        os.mkfifo(workdir / LOCK)
    rc, out = finish(start(workdir, "history"), timeout=60)
    assert rc != 0, out
    assert ("is a symbolic link" if kind == "symlink" else "is not a regular file") in out, out
    assert not log_lines(workdir), "no job may run"
    assert victim.read_text() == "precious\n"


@pytest.mark.timeout(120)
@pytest.mark.held("one run per directory", "adversarial")
def test_lock_file_hard_linked_to_a_file_is_never_written(tmp_path, tmp_path_factory):
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(tmp_path)
    victim = tmp_path / "someone-elses-file"
    victim.write_text("precious\n")
    os.link(victim, workdir / LOCK)
    rc, out = finish(start(workdir, "history"), timeout=60)
    assert rc == 0, out
    assert victim.read_text() == "precious\n"
    assert snapshot(workdir) == expected
