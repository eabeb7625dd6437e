"""Reliability of the checkpoint strategies, measured: interrupt a running pipeline, rerun it.

For each strategy (history, atomic, zero-intermediates, remove-intermediates) and each
interruption below, on the local back end, the pipeline of
tests/pipelines/scenarios/checkpoint_chain.py is interrupted, then run again, and:

- the rerun ends with every file byte-identical to an uninterrupted run of the same
  pipeline with the same strategy (no temporary file left either);
- the rerun runs exactly the jobs it must (checkpoint_kit.expected_rerun: the unfinished
  ones, what follows them, and for zero/remove the producers of freed files they read),
  each once: no job that had succeeded runs again;
- no half-written file is taken as complete: no job reads an interrupted output in the
  interrupted run, the rerun redoes it, and with ``atomic`` it never reaches its final path.

``atomic``'s temporary files: those of a killed job go at the next run's start, even
when no job of that run needs them; those of a job another run is still writing stay.

Interruptions: SIGKILL of the worker writing an output; Ctrl-C (SIGINT to the process
group); luigid restarted mid-run, gracefully (the run carries on) or killed and restarted
without its state (the run fails, the rerun finishes); one output on a full file system
(ENOSPC), under a path whose directory is a file (ENOTDIR) or in a directory the run may
not write to (EACCES; the run drops root's capability to ignore file modes); the driver
(``ruffus-luigi run`` alone, not its workers) killed with SIGTERM or SIGKILL while two jobs
write (its workers must stop by themselves, starting no job); a rerun started at once while
the killed run's workers are still alive (their held jobs ignore SIGTERM: the rerun must wait
for them, then do only what is left). The cluster cases (qdel, scancel) are in
tests/cluster/test_checkpoint_interrupts_on_clusters.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from checkpoint_kit import (
    ALL_JOBS,
    OUTPUT,
    SAMPLES,
    STRATEGIES,
    TMP_DIR,
    check_interrupted,
    check_rerun,
    expected_rerun,
    finish,
    freed_files,
    jobs_with,
    leftovers,
    log_lines,
    reference,
    run,
    snapshot,
    start,
    wait_for,
    wait_half_written,
    workdir_in,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from luigid import Luigid  # noqa: E402

# Luigi retries a failed call to luigid after rpc-retry-wait seconds (30 by default: a
# restart then stalls the run 30 s, and it still carries on); 1 s keeps the test short.
RPC_RETRY = "[core]\nrpc-retry-wait = 1\nrpc-retry-attempts = 20\n"


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def check_other_samples_unaffected(workdir: Path, broken: str, factory: pytest.TempPathFactory) -> None:
    """Every job of the other samples finished, and each file of theirs is whole (or freed, as recorded)."""
    full = reference("history", factory)
    done = jobs_with(workdir, "done")
    freed = freed_files(workdir)
    for job, path in OUTPUT.items():
        sample = path.split("/")[0]
        if sample not in SAMPLES or sample == broken:
            continue
        assert job in done, "%s did not run" % job
        if path not in freed:
            assert (workdir / path).read_bytes() == full[path], "%s was damaged" % path


# -- 1. SIGKILL of a worker in the middle of writing an output ---------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_sigkill_of_the_worker_writing_an_output(strategy, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    victim = "mid s1.mid"
    proc = start(workdir, strategy, {"HOLD": "s1.mid"})
    pid, _ = wait_half_written(workdir, [victim])[victim]
    os.kill(pid, signal.SIGKILL)
    rc, out = finish(proc)

    assert rc == 1, out
    assert "ruffus_luigi.WorkerDied" in out and "exit code -9" in out
    assert "Job  = [s1/s1.start -> s1/s1.mid]" in out
    # only the victim's chain stopped (and the merge needing it)
    assert jobs_with(workdir, "done") == ALL_JOBS - {victim, "end s1.end", "total total.txt"}
    check_interrupted(workdir, strategy, {victim})
    if strategy == "atomic":  # what the rerun must not leave
        assert leftovers(workdir) == ["s1/" + TMP_DIR]
    check_rerun(workdir, strategy, expected, {victim})


# -- 2. Ctrl-C to the whole run --------------------------------------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_ctrl_c_to_the_whole_run_while_two_jobs_write(strategy, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    held = ["end s1.end", "end s2.end"]  # with 2 workers, nothing else runs once both are half-way
    proc = start(workdir, strategy, {"HOLD": "s1.end,s2.end"})
    wait_half_written(workdir, held)
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    rc, out = finish(proc, timeout=30)

    assert time.monotonic() - t0 < 10, "Ctrl-C took %.1f s" % (time.monotonic() - t0)
    assert rc != 0, out
    wait_for(lambda: not group_alive(proc.pid), "every process of the run to end", timeout=10, every=0.05)
    check_interrupted(workdir, strategy, set(held))
    check_rerun(workdir, strategy, expected, set(held))


# -- 3. luigid restarted in the middle of a run ------------------------------------------
@pytest.fixture(scope="module")
def luigid_server(tmp_path_factory):
    """One luigid for the module's restart tests (each restarts it on the same port)."""
    with Luigid(tmp_path_factory.mktemp("luigid")) as server:
        yield server


@pytest.fixture
def restartable_luigid(luigid_server):
    if luigid_server.process is None or luigid_server.process.poll() is not None:
        luigid_server.start()  # (a failed test may have left it stopped)
    return luigid_server


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_luigid_restarted_mid_run_the_run_carries_on(strategy, tmp_path, tmp_path_factory, restartable_luigid):
    """Stopped as a service is (SIGTERM: it saves its state) and started again on the same port.

    What the user sees: nothing but a pause (up to rpc-retry-wait); the run succeeds, every
    job ran once, and a rerun has nothing to do.
    """
    server = restartable_luigid
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    (workdir / "luigi.cfg").write_text(RPC_RETRY)
    env = {"RUFFUS_LUIGI_SCHEDULER_URL": server.url}
    proc = start(workdir, strategy, {**env, "HOLD": "s1.mid"})
    wait_half_written(workdir, ["mid s1.mid"])
    first = server.process.pid
    server.stop()
    server.start()
    assert server.process.pid != first
    (workdir / "release").touch()
    rc, out = finish(proc)

    assert rc == 0, out
    assert Counter(job for e, job, *_ in log_lines(workdir) if e == "start") == Counter(ALL_JOBS)
    assert snapshot(workdir) == expected
    # the run went on with the new luigid: it saw this run's last stage done
    done = server.api("task_list", {"status": "DONE", "upstream_status": "", "search": str(workdir)})
    assert "total" in {t["name"] for t in done.values()}
    check_rerun(workdir, strategy, expected, set(), env)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_luigid_killed_and_restarted_without_its_state_the_rerun_finishes(
    strategy, tmp_path, tmp_path_factory, restartable_luigid
):
    """luigid killed (-9) and started again empty: it no longer knows the run's pending tasks.

    What the user sees: the run fails (exit 1, "Luigi did not run this task"); what had
    finished stays done, and a rerun finishes the pipeline.
    """
    server = restartable_luigid
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    (workdir / "luigi.cfg").write_text(RPC_RETRY)
    env = {"RUFFUS_LUIGI_SCHEDULER_URL": server.url}
    proc = start(workdir, strategy, {**env, "HOLD": "s1.mid"})
    wait_half_written(workdir, ["mid s1.mid"])
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    (server.dir / "state.pickle").unlink(missing_ok=True)
    server.start()
    (workdir / "release").touch()
    rc, out = finish(proc)

    assert rc == 1, out
    assert "Luigi did not run this task" in out
    assert "total total.txt" not in jobs_with(workdir, "start")
    check_rerun(workdir, strategy, expected, set(), env)


# -- 4. one output on a full disk, or where a directory is a file -------------------------
@pytest.fixture
def mount_points():
    """Mounts made by a test, unmounted after it whatever happens."""
    mounted: list[Path] = []
    yield mounted
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def mount_full_tmpfs(point: Path, mounted: list[Path]) -> None:
    """A tmpfs of one page (4 KiB) at ``point``: the first output larger than that fills it."""
    point.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(point)], capture_output=True, text=True)
    assert done.returncode == 0, "cannot mount a tmpfs (the disk-full test needs root): %s" % done.stderr
    mounted.append(point)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_disk_full_for_one_output(strategy, tmp_path, tmp_path_factory, mount_points):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    mount_full_tmpfs(workdir / "s2", mount_points)  # s2's files, and atomic's temporary ones, fill it
    rc, out, _ = run(workdir, strategy)

    assert rc == 1, out
    assert "Job  = [None -> s2/s2.start]" in out and "No space left on device" in out
    check_other_samples_unaffected(workdir, "s2", tmp_path_factory)
    check_interrupted(workdir, strategy, {"make s2.start"})
    assert leftovers(workdir) == [], "a failed job's temporary files must go"
    if strategy != "atomic":
        assert (workdir / "s2/s2.start").stat().st_size == 4096  # what fitted

    # more space, and the rerun finishes the pipeline
    done = subprocess.run(["mount", "-o", "remount,size=1m", str(workdir / "s2")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    check_rerun(workdir, strategy, expected, {"make s2.start"})


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_output_whose_directory_is_a_file(strategy, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    (workdir / "s2").write_text("a file where the directory s2 should be\n")
    rc, out, _ = run(workdir, strategy)

    assert rc == 1, out
    assert "Job  = [None -> s2/s2.start]" in out and "Not a directory: 's2/s2.start'" in out
    check_other_samples_unaffected(workdir, "s2", tmp_path_factory)
    assert "mid s2.mid" not in jobs_with(workdir, "start") and "total total.txt" not in jobs_with(workdir, "start")
    assert leftovers(workdir) == []

    (workdir / "s2").unlink()  # the script makes the directory again
    check_rerun(workdir, strategy, expected, {"make s2.start"})


# Root ignores file modes; without these capabilities a directory's mode holds for it too.
NO_DAC_OVERRIDE = ("setpriv", "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search")


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_output_in_a_directory_without_write_permission(strategy, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    (workdir / "s2").mkdir(mode=0o555)
    rc, out, _ = run(workdir, strategy, prefix=NO_DAC_OVERRIDE)

    assert rc == 1, out
    assert "Job  = [None -> s2/s2.start]" in out and "Permission denied: 's2/" in out
    check_other_samples_unaffected(workdir, "s2", tmp_path_factory)
    assert "mid s2.mid" not in jobs_with(workdir, "start") and "total total.txt" not in jobs_with(workdir, "start")
    assert leftovers(workdir) == []

    (workdir / "s2").chmod(0o755)
    check_rerun(workdir, strategy, expected, {"make s2.start"})


# -- 5. an interrupted rerun that was bringing freed files back ---------------------------
@pytest.mark.parametrize("strategy", ["zero-intermediates", "remove-intermediates"])
def test_sigkill_while_a_rerun_brings_freed_files_back(strategy, tmp_path, tmp_path_factory):
    """total.txt lost: its rerun must remake every freed file upstream; kill it half-way."""
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    rc, out, _ = run(workdir, strategy)
    assert rc == 0, out
    freed = freed_files(workdir)
    assert freed == {p for p in OUTPUT.values() if p != "total.txt"}
    (workdir / "total.txt").unlink()
    assert expected_rerun(ALL_JOBS - {"total total.txt"}, freed) == ALL_JOBS  # everything comes back
    (workdir / "jobs.log").rename(tmp_path / "first-run-jobs.log")  # the log now tells what the next runs did

    victim = "mid s1.mid"
    proc = start(workdir, strategy, {"HOLD": "s1.mid"})
    pid, _ = wait_half_written(workdir, [victim])[victim]
    os.kill(pid, signal.SIGKILL)
    rc, out = finish(proc)
    assert rc == 1, out
    assert {"make s0.start", "make s1.start", "make s2.start"} <= jobs_with(workdir, "done")
    check_interrupted(workdir, strategy, {victim})
    rerun, _ = check_rerun(workdir, strategy, expected, {victim})
    assert rerun == {"mid s1.mid", "end s1.end", "total total.txt"}  # the files brought back stay back


# -- 6. atomic's temporary files after a kill, and while another run writes them ----------
def kill_atomic_run_writing_s1_mid(workdir: Path) -> None:
    proc = start(workdir, "atomic", {"HOLD": "s1.mid"})
    pid, _ = wait_half_written(workdir, ["mid s1.mid"])["mid s1.mid"]
    os.kill(pid, signal.SIGKILL)
    rc, out = finish(proc)
    assert rc == 1, out
    assert leftovers(workdir) == ["s1/" + TMP_DIR]


def test_atomic_leftover_of_a_killed_job_goes_at_the_next_run_start(tmp_path, tmp_path_factory):
    """Even when that run has nothing to do: the job was redone by a run without ``atomic``."""
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(tmp_path)
    kill_atomic_run_writing_s1_mid(workdir)
    rc, out, ran = run(workdir, "history")
    assert rc == 0, out
    assert ran == Counter(["mid s1.mid", "end s1.end", "total total.txt"])
    assert leftovers(workdir) == ["s1/" + TMP_DIR]  # (no atomic run since)

    rc, out, ran = run(workdir, "atomic")
    assert rc == 0, out
    assert ran == Counter()
    assert leftovers(workdir) == []
    assert snapshot(workdir) == expected


def test_atomic_run_start_keeps_the_temporary_file_of_a_run_still_going(
    tmp_path, tmp_path_factory, restartable_luigid
):
    """A second run against the same luigid starts while the first is writing s1.mid."""
    expected = reference("atomic", tmp_path_factory)
    workdir = workdir_in(tmp_path)
    env = {"RUFFUS_LUIGI_SCHEDULER_URL": restartable_luigid.url}
    first = start(workdir, "atomic", {**env, "HOLD": "s1.mid"})
    wait_half_written(workdir, ["mid s1.mid"])
    (temporary,) = workdir.glob("s1/%s/*/s1.mid" % TMP_DIR)
    half = temporary.read_bytes()
    second = start(workdir, "atomic", env)
    second_out = Path(second.out_file.name)  # type: ignore[attr-defined]
    wait_for(lambda: "Tasks which will be run:" in second_out.read_text(), "the second run to start")
    assert temporary.read_bytes() == half, "the second run's start touched a file still being written"

    (workdir / "release").touch()
    for proc in (first, second):
        rc, out = finish(proc)
        assert rc == 0, out
    assert Counter(job for e, job, *_ in log_lines(workdir) if e == "start") == Counter(ALL_JOBS)
    assert snapshot(workdir) == expected
    assert leftovers(workdir) == []


# -- 7. the driver killed, its workers left to notice --------------------------------------
def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper has stopped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(240)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_driver_killed_while_two_jobs_write(strategy, signum, tmp_path, tmp_path_factory):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    held = ["end s1.end", "end s2.end"]
    proc = start(workdir, strategy, {"HOLD": "s1.end,s2.end"})
    try:
        workers = {pid for pid, _ in wait_half_written(workdir, held).values()}
        os.kill(proc.pid, signum)  # the driver alone
        rc, out = finish(proc, timeout=30)
        assert rc == -signum, out
        killed_at = len(log_lines(workdir))
        wait_for(lambda: not [p for p in workers if alive(p)], "the workers to end", timeout=15, every=0.05)
    finally:
        for p in workers:
            if alive(p):
                os.kill(p, signal.SIGKILL)
    (workdir / "release").touch()  # a worker still going would now finish its job: none may
    time.sleep(0.5)
    (workdir / "release").unlink()
    assert [e for e in log_lines(workdir)[killed_at:]] == [], "a worker went on after its driver died"
    check_interrupted(workdir, strategy, set(held))
    check_rerun(workdir, strategy, expected, set(held))


@pytest.mark.timeout(240)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_rerun_started_while_the_killed_runs_workers_are_alive(strategy, tmp_path, tmp_path_factory):
    """Their held jobs ignore SIGTERM: they outlive the driver; the rerun waits for them."""
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path)
    held = ["end s1.end", "end s2.end"]
    proc = start(workdir, strategy, {"HOLD": "s1.end,s2.end", "HOLD_IGNORES_SIGTERM": "1"})
    rerun = None
    workers: set[int] = set()
    try:
        workers = {pid for pid, _ in wait_half_written(workdir, held).values()}
        os.kill(proc.pid, signal.SIGKILL)
        finish(proc, timeout=30)
        since = len(log_lines(workdir))
        rerun = start(workdir, strategy, {"RUFFUS_LUIGI_LOCK_WAIT": "120"})
        rerun_out = Path(rerun.out_file.name)  # type: ignore[attr-defined]
        wait_for(lambda: "waiting up to" in rerun_out.read_text(), "the rerun to wait for the orphans", timeout=30)
        assert all(alive(p) for p in workers)
        assert [e for e in log_lines(workdir)[since:] if e[0] == "start"] == [], "a job started beside the orphans"
        (workdir / "release").touch()  # the orphans finish their jobs (and start no other)
        wait_for(lambda: not [p for p in workers if alive(p)], "the orphans to end", timeout=30, every=0.05)
        assert set(held) <= jobs_with(workdir, "done")
        check_rerun(workdir, strategy, expected, set(), started=(rerun, since))
        (workdir / "release").unlink()
    finally:
        if rerun is not None and rerun.poll() is None:
            os.killpg(rerun.pid, signal.SIGKILL)
            rerun.wait()
        for p in workers:
            if alive(p):
                os.kill(p, signal.SIGKILL)
