"""A run killed while luigid lists its chunks as running: the next run does what is left, at once.

luigid keeps a task RUNNING under the worker that took it until that worker has not been
heard of for ``worker_disconnect_delay`` (60 s), and then marks it FAILED, not pending.
A rerun's chunk has the same Luigi task id as the killed run's (docs/architecture.md,
"Chunk identity under luigid"), so before the fix luigid never handed it to the rerun:
the rerun waited a minute or more, then failed with "the scheduler ... stopped giving this
run work". The pipeline is tests/pipelines/scenarios/checkpoint_chain.py (through
checkpoint_kit), its first task's jobs held half-written (HOLD) when the run is stopped:
the first task's chunks have the same ids in every run (a later task's depend on which
upstream chunks a run cuts).

- the whole run (driver and workers) killed with SIGKILL (its driver left a zombie, not
  reaped yet), the driver alone killed with
  SIGKILL (its workers stop through PDEATHSIG), the run ended by Ctrl-C, and luigid
  restarted (its saved state) in between: a rerun started at once ends well within 60 s,
  runs exactly the jobs that had not finished, and leaves files byte-identical to an
  uninterrupted run;
- the driver killed while a job ignoring SIGTERM still writes: the rerun takes the chunk
  over but waits for that job (its claim) and does not run it again;
- a second, live run shares luigid: the rerun takes over the dead run's chunks only, never
  the live run's running one, and every job is done once;
- two reruns started together both take the dead run's chunks over: every job runs once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from checkpoint_kit import (  # noqa: E402
    ALL_JOBS,
    check_interrupted,
    check_rerun,
    finish,
    jobs_with,
    log_lines,
    reference,
    snapshot,
    start,
    wait_for,
    wait_half_written,
    workdir_in,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from luigid import Luigid  # noqa: E402

STRATEGY = "history"
HELD = ["make s0.start", "make s1.start"]  # both worker slots of the first run; first task: same ids in a rerun
RERUN_BOUND = 20.0
"""Seconds a rerun may take: luigid would have kept the dead run's chunks for 60 s or more."""


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    return reference(STRATEGY, tmp_path_factory)


def on(url: str, **more: str) -> dict:
    return {"RUFFUS_LUIGI_SCHEDULER_URL": url, **more}


def kill_all(*procs) -> None:
    """Kill each run's process group (if any of it is left) and reap its driver."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def started_once_each(workdir: Path, since: int) -> Counter:
    return Counter(job for event, job, *_ in log_lines(workdir)[since:] if event == "start")


def stop_first_run(workdir: Path, url: str, how: str):
    """Start the run (3 workers) with ``make`` of s0 and s1 held half-written and s2 done, then stop it ``how``."""
    first = start(workdir, STRATEGY, on(url, HOLD="s0.start,s1.start"), jobs=3)
    try:
        wait_half_written(workdir, HELD)
        # the third worker does sample s2 meanwhile: the rerun must not do it again
        wait_for(lambda: "end s2.end" in jobs_with(workdir, "done"), "sample s2 to be done", 30)
        time.sleep(0.5)  # (its chunk reported done to luigid)
        if how == "whole run SIGKILL":
            os.killpg(first.pid, signal.SIGKILL)
            # not reaped until the rerun is over: a zombie, as under a parent that has not waited yet
            wait_for(lambda: zombie(first.pid), "the killed driver to be a zombie", 15)
            return first
        if how == "driver SIGKILL":
            os.kill(first.pid, signal.SIGKILL)
        else:  # Ctrl-C at the terminal: the whole foreground group gets SIGINT
            os.killpg(first.pid, signal.SIGINT)
        first.wait(timeout=30)
        if how == "driver SIGKILL":  # its workers end by themselves (PDEATHSIG), their jobs unfinished
            wait_for(lambda: not _group_alive(first.pid), "the killed driver's workers to end", 15)
    except BaseException:
        kill_all(first)
        raise
    return first


def zombie(pid: int) -> bool:
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rpartition(")")[2].split()[0] == "Z"


def rerun_within(workdir: Path, url: str, interrupted: set, uninterrupted: dict, bound: float = RERUN_BOUND) -> float:
    """A rerun started now does exactly what is left (``check_rerun``) within ``bound`` seconds; its time.

    A watchdog kills it at ``bound`` (it then fails ``check_rerun``'s exit status check).
    """
    since = len(log_lines(workdir))
    began = time.monotonic()
    rerun = start(workdir, STRATEGY, on(url))
    watchdog = threading.Timer(bound, kill_all, (rerun,))
    watchdog.start()
    try:
        check_rerun(workdir, STRATEGY, uninterrupted, interrupted, env=on(url), started=(rerun, since))
    finally:
        watchdog.cancel()
        kill_all(rerun)
    return time.monotonic() - began


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(180)
@pytest.mark.held("killed run under luigid", "adversarial")
@pytest.mark.parametrize("how", ["whole run SIGKILL", "driver SIGKILL", "Ctrl-C"])
def test_rerun_right_after_the_run_was_stopped_does_what_is_left_at_once(how, luigid, tmp_path, uninterrupted):
    workdir = workdir_in(tmp_path)
    first = stop_first_run(workdir, luigid.url, how)
    try:
        interrupted = set(HELD)
        check_interrupted(workdir, STRATEGY, interrupted)
        took = rerun_within(workdir, luigid.url, interrupted, uninterrupted)
        print("%s: the rerun took %.2f s" % (how, took))
    finally:
        kill_all(first)
        first.out_file.close()


@pytest.mark.timeout(180)
@pytest.mark.held("killed run under luigid", "adversarial")
def test_rerun_after_luigid_restarted_with_the_dead_runs_chunks_running(tmp_path, uninterrupted):
    """luigid saves its state when stopped and loads it at start: the dead run's chunks are
    still RUNNING under its worker after the restart."""
    with Luigid(tmp_path / "luigid") as server:
        workdir = workdir_in(tmp_path)
        first = stop_first_run(workdir, server.url, "whole run SIGKILL")
        try:
            server.stop()
            server.start()
            rerun_within(workdir, server.url, set(HELD), uninterrupted)
        finally:
            kill_all(first)
            first.out_file.close()


@pytest.mark.timeout(180)
@pytest.mark.held("killed run under luigid", "adversarial")
def test_driver_killed_while_a_job_ignoring_sigterm_writes_the_rerun_waits_for_it(luigid, tmp_path, uninterrupted):
    """The chunk's driver is dead, but its worker still runs the job (and holds its claim):
    the rerun takes the chunk over in luigid, waits for the claim, finds the job done and
    does not run it again."""
    workdir = workdir_in(tmp_path)
    first = start(workdir, STRATEGY, on(luigid.url, HOLD="s0.start", HOLD_IGNORES_SIGTERM="1"))
    rerun = None
    try:
        wait_half_written(workdir, ["make s0.start"])
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        since = len(log_lines(workdir))
        rerun = start(workdir, STRATEGY, on(luigid.url))
        # the rest of the pipeline that does not need s0.start is done meanwhile
        wait_for(lambda: {"end s1.end", "end s2.end"} <= jobs_with(workdir, "done"), "s1 and s2 to be done", 15)
        time.sleep(1.0)  # (time for the rerun to have taken the chunk over: it must wait)
        assert "make s0.start" not in started_once_each(workdir, since), "the rerun ran a job the orphan still writes"
        (workdir / "release").touch()
        wait_for(lambda: "make s0.start" in jobs_with(workdir, "done"), "the orphan to finish its job", 15)
        wait_for(lambda: not _group_alive(first.pid), "the orphan to end", 15)
        rc, out = finish(rerun, timeout=RERUN_BOUND)
        assert rc == 0, out
        (workdir / "release").unlink()
        lines = log_lines(workdir)
        first_pids = {pid for _, _, pid, _ in lines[:since]}
        done_first = {job for event, job, pid, _ in lines if event == "done" and pid in first_pids}
        assert "make s0.start" in done_first
        assert started_once_each(workdir, since) == Counter(ALL_JOBS - done_first)
        assert snapshot(workdir) == uninterrupted
    finally:
        kill_all(first, rerun)


@pytest.mark.timeout(180)
@pytest.mark.held("shared luigid: every job once", "adversarial")
def test_rerun_beside_a_live_run_takes_over_only_the_dead_runs_chunks(luigid, tmp_path, uninterrupted):
    """Run A holds make s0 and make s1; live run B shares luigid and holds make s2; A is killed
    whole. Rerun C (and B) take over A's chunks at once; nobody takes B's running one; both
    end well within a minute and every job is done once."""
    workdir = workdir_in(tmp_path)
    first = start(workdir, STRATEGY, on(luigid.url, HOLD="s0.start,s1.start"))
    live = rerun = None
    try:
        wait_half_written(workdir, HELD)
        live = start(workdir, STRATEGY, on(luigid.url, HOLD="s2.start"))
        wait_half_written(workdir, ["make s2.start"])
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        since = len(log_lines(workdir))
        began = time.monotonic()
        rerun = start(workdir, STRATEGY, on(luigid.url))
        wait_for(lambda: {"end s0.end", "end s1.end"} <= jobs_with(workdir, "done"), "s0 and s1 to be done", 15)
        time.sleep(1.0)  # (time for C to take over B's running chunk, which it must not)
        assert started_once_each(workdir, since)["make s2.start"] == 0, "a run took over the live run's job"
        (workdir / "release").touch()
        for proc in (live, rerun):
            rc, out = finish(proc, timeout=max(1.0, RERUN_BOUND - (time.monotonic() - began)))
            assert rc == 0, out
        (workdir / "release").unlink()
        after = started_once_each(workdir, since)
        assert after == Counter(ALL_JOBS - {"make s2.start"}), after
        done = Counter(job for event, job, *_ in log_lines(workdir) if event == "done")
        assert done == Counter(ALL_JOBS), "each job done once: %s" % done
        assert snapshot(workdir) == uninterrupted
    finally:
        kill_all(first, live, rerun)


@pytest.mark.timeout(180)
@pytest.mark.held("shared luigid: every job once", "adversarial")
def test_two_reruns_started_together_after_the_kill_take_over_and_run_every_job_once(luigid, tmp_path, uninterrupted):
    """Both reruns find the dead run's chunks and take them over at the same moment: a chunk
    may be handed to both, but its jobs are claimed and rechecked, so each job runs once."""
    for attempt in range(3):
        (tmp_path / str(attempt)).mkdir()
        workdir = workdir_in(tmp_path / str(attempt))
        first = stop_first_run(workdir, luigid.url, "whole run SIGKILL")
        reruns = []
        try:
            done = jobs_with(workdir, "done")
            since = len(log_lines(workdir))
            reruns = [start(workdir, STRATEGY, on(luigid.url)) for _ in range(2)]
            for proc in reruns:
                rc, out = finish(proc, timeout=RERUN_BOUND)
                assert rc == 0, out
            ran = started_once_each(workdir, since)
            assert ran == Counter(ALL_JOBS - done), "try %d: %s" % (attempt + 1, ran)
            assert snapshot(workdir) == uninterrupted
        finally:
            kill_all(first, *reruns)
            first.out_file.close()
