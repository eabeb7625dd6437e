"""Interrupted runs: Ctrl-C to the whole run, kill -9 of one worker; the rerun finishes the job."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "interruptible.py"
EXPECTED_ALL = "".join("first half of f%d.start\nsecond half\n" % i for i in range(8))


def start(workdir: Path, job_seconds: str) -> subprocess.Popen:
    shutil.copy(SCRIPT, workdir / SCRIPT.name)
    env = dict(os.environ, JOB_SECONDS=job_seconds, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, "2"],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # Ctrl-C reaches it as one even when pytest inherited SIGINT ignored (nohup, `cmd &`)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def started(workdir: Path) -> list[str]:
    log = workdir / "jobs.log"
    return log.read_text().splitlines() if log.exists() else []


def wait_for_slow_jobs(workdir: Path, n: int, timeout: float = 60) -> list[str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        slow = [line for line in started(workdir) if line.startswith("slow ")]
        if len(slow) >= n:
            return slow
        time.sleep(0.05)
    raise AssertionError("the slow jobs did not start: %s" % started(workdir))


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def rerun(workdir: Path) -> tuple[subprocess.CompletedProcess, Counter]:
    before = len(started(workdir))
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, "2"],
        cwd=workdir, env=dict(os.environ, JOB_SECONDS="0", PYTHONPATH=str(REPO)),
        capture_output=True, text=True, timeout=120,
    )
    return done, Counter(line.rsplit(" ", 1)[0] for line in started(workdir)[before:])


def test_ctrl_c_stops_the_run_within_seconds_and_the_rerun_does_only_what_is_left(tmp_path):
    run = start(tmp_path, "3")
    try:
        slow = wait_for_slow_jobs(tmp_path, 2)
        time.sleep(0.5)  # both jobs are now half-way through writing their output
        os.killpg(run.pid, signal.SIGINT)
        t0 = time.time()
        run.communicate(timeout=30)
    except BaseException:  # (a run that ignored Ctrl-C is not left behind)
        if group_alive(run.pid):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        raise
    assert time.time() - t0 < 5
    assert run.returncode != 0
    time.sleep(0.5)
    assert not group_alive(run.pid), "a process of the run outlived Ctrl-C"
    interrupted = {line.rsplit(" ", 1)[0] for line in slow}
    half_written = [p for p in tmp_path.glob("*.mid") if "second half" not in p.read_text()]
    assert half_written, "the test meant to interrupt jobs in the middle of writing"

    done, ran = rerun(tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    assert not any(name.startswith("make ") for name in ran), "finished jobs ran again"
    assert interrupted <= set(ran), "an interrupted, half-written output was taken as complete"
    assert set(ran.values()) == {1}


def test_kill_9_of_a_worker_fails_only_its_job_and_the_rerun_redoes_it(tmp_path):
    run = start(tmp_path, "1.5")
    slow = wait_for_slow_jobs(tmp_path, 3)
    victim_name, victim_pid = slow[2].rsplit(" ", 1)
    os.kill(int(victim_pid), signal.SIGKILL)
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 1
    assert "ruffus_luigi.WorkerDied" in out and "exit code -9" in out
    assert "Job  = [%s -> %s]" % (victim_name.split()[1].replace(".mid", ".start"), victim_name.split()[1]) in out
    others = {"slow f%d.mid" % i for i in range(8)} - {victim_name}
    assert others <= {line.rsplit(" ", 1)[0] for line in started(tmp_path)}, "the other jobs must still run"
    assert not (tmp_path / "all.txt").exists()

    done, ran = rerun(tmp_path)
    assert done.returncode == 0, done.stderr
    assert ran == Counter({victim_name: 1, "total all.txt": 1})
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
