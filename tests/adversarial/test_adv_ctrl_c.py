"""Ctrl-C to a real run: one line on stderr, no traceback, the exit of an interrupted program,
and a rerun that does only what was left.

SIGINT goes to the whole process group (as a terminal sends it) or to the driver alone, with
``multiprocess=1`` (jobs in the driver) and 4 (jobs in worker processes), on Luigi's local
scheduler and on a luigid.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "interruptible.py"
EXPECTED_ALL = "".join("first half of f%d.start\nsecond half\n" % i for i in range(8))
LINE = "interrupted: %d jobs were running; run again to continue"
ALL_JOBS = {"make f%d.start" % i for i in range(8)} | {"slow f%d.mid" % i for i in range(8)} | {"total all.txt"}

held = pytest.mark.held("Ctrl-C: one line", "adversarial")


def environment(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "LUIGI_CONFIG"))}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def quiet_script(workdir: Path) -> str:
    """interruptible.py at verbose 0: then stderr holds only what ruffus-luigi adds."""
    (workdir / SCRIPT.name).write_text(SCRIPT.read_text().replace("verbose=1", "verbose=0"))
    return SCRIPT.name


def log(workdir: Path) -> list[str]:
    path = workdir / "jobs.log"
    return [line.rsplit(" ", 1)[0] for line in path.read_text().splitlines()] if path.exists() else []


def recorded(workdir: Path) -> set[str]:
    con = sqlite3.connect(workdir / ".ruffus_history.sqlite")
    try:
        return {key for (key,) in con.execute("SELECT key FROM data")}
    finally:
        con.close()


def job_output(job: str) -> str:
    return job.split(" ", 1)[1]


def interrupt(workdir: Path, argv: list[str], env: dict, running: int, target: str) -> tuple[subprocess.Popen, str, str, int]:
    """Start the run, SIGINT it once ``running`` slow jobs are half-way; its stdout, stderr and the jobs then running."""
    proc = subprocess.Popen(
        argv, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 90
        while sum(j.startswith("slow ") for j in log(workdir)) < running and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.5)
        under_way = sum(j.startswith("slow ") for j in log(workdir))
        assert under_way == running, log(workdir)
        if target == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    time.sleep(0.3)
    try:
        os.killpg(proc.pid, 0)
        raise AssertionError("a process of the run outlived Ctrl-C")
    except ProcessLookupError:
        pass
    return proc, out, err, under_way


def check_rerun(workdir: Path, env: dict) -> None:
    done_before = {j for j in ALL_JOBS if job_output(j) in recorded(workdir)}
    before = len(log(workdir))
    rerun = subprocess.run([sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, "4"], cwd=workdir,
                           env={**env, "JOB_SECONDS": "0"}, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    ran = Counter(log(workdir)[before:])
    assert set(ran) == ALL_JOBS - done_before, "the rerun must do exactly what was left"
    assert set(ran.values()) == {1}
    assert (workdir / "all.txt").read_text() == EXPECTED_ALL


@held
@pytest.mark.timeout(240)
@pytest.mark.parametrize("target", ["group", "driver"])
@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize("scheduler", ["local", "luigid"])
def test_ctrl_c_is_one_line_and_the_rerun_does_only_what_was_left(request, tmp_path, scheduler, workers, target):
    extra = {"JOB_SECONDS": "8"}
    if scheduler == "luigid":
        extra["RUFFUS_LUIGI_SCHEDULER_URL"] = request.getfixturevalue("luigid").url
    env = environment(extra)
    script = quiet_script(tmp_path)
    proc, _out, err, running = interrupt(tmp_path, [sys.executable, "-m", "ruffus_luigi", "run", script, str(workers)],
                                   env, workers, target)
    assert err == LINE % running + "\n"
    assert proc.returncode == -signal.SIGINT  # as Python ends on an uncaught Ctrl-C: status 130 in a shell
    assert not (tmp_path / "all.txt").exists()
    check_rerun(tmp_path, env)


@held
@pytest.mark.timeout(180)
def test_a_script_run_by_python_with_the_shim_gets_the_same_line(tmp_path):
    env = environment({"JOB_SECONDS": "8"})
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    script = quiet_script(tmp_path)
    proc, _out, err, running = interrupt(tmp_path, [sys.executable, script, "2"], env, 2, "group")
    assert err == LINE % 2 + "\n" and running == 2
    assert proc.returncode == -signal.SIGINT
    check_rerun(tmp_path, environment({}))


@held
@pytest.mark.timeout(180)
def test_a_script_that_catches_ctrl_c_gets_a_keyboard_interrupt_and_no_line(tmp_path):
    text = SCRIPT.read_text().replace("verbose=1", "verbose=0")
    main = "    pipeline_run(verbose=0"
    assert main in text
    text = text.replace(main, "    try:\n        pipeline_run(verbose=0") .replace(
        "else 2)\n", "else 2)\n    except KeyboardInterrupt as e:\n        print('caught:', e, flush=True)\n")
    (tmp_path / SCRIPT.name).write_text(text)
    proc, out, err, _running = interrupt(tmp_path, [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, "2"],
                                         environment({"JOB_SECONDS": "8"}), 2, "group")
    assert proc.returncode == 0 and err == ""
    assert out == "caught: " + LINE % 2 + "\n"
    check_rerun(tmp_path, environment({}))


@held
@pytest.mark.timeout(120)
def test_debug_log_level_keeps_the_traceback(tmp_path):
    script = quiet_script(tmp_path)
    _proc, _out, err, _running = interrupt(tmp_path, [sys.executable, "-m", "ruffus_luigi", "run", script, "2"],
                                           environment({"JOB_SECONDS": "8", "RUFFUS_LUIGI_LOG_LEVEL": "DEBUG"}), 2, "group")
    assert "Traceback" in err and ("KeyboardInterrupt: " + LINE % 2) in err


@held
@pytest.mark.timeout(180)
def test_multithread_counts_the_jobs_its_threads_were_running(tmp_path):
    """The driver's threads run the jobs: N is what they were running when the signal came."""
    text = SCRIPT.read_text().replace("verbose=1", "verbose=0")
    text = text.replace("multiprocess=int(sys.argv[1]) if len(sys.argv) > 1 else 2", "multithread=3")
    assert "multithread=3" in text
    (tmp_path / SCRIPT.name).write_text(text)
    env = environment({"JOB_SECONDS": "4"})
    proc, _out, err, running = interrupt(tmp_path, [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name],
                                         env, 3, "group")
    assert err == LINE % 3 + "\n" and running == 3
    assert proc.returncode == -signal.SIGINT
    check_rerun(tmp_path, environment({}))
