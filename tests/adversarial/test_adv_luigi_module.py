"""`luigi --module SCRIPT TASK` killed mid-run: nothing outlives it, nothing is lost, the rerun does the rest."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LUIGI = str(Path(sys.executable).with_name("luigi"))

SCRIPT = '''
import os
import time
from ruffus import *


@originate(["%d.txt" % i for i in range(4)])
def start(output_file):
    with open("ran.log", "a") as f:
        f.write("start %s\\n" % output_file)
    if os.path.exists("SLOW") and output_file in ("2.txt", "3.txt"):
        time.sleep(60)
    with open(output_file, "w") as f:
        f.write(output_file)
    with open("ran.log", "a") as f:
        f.write("done %s\\n" % output_file)


pipeline_run([start])
'''


def env() -> dict[str, str]:
    shim = str(REPO / "ruffus_luigi" / "shim")
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([shim, str(REPO), ".", os.environ.get("PYTHONPATH", "")]),
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
    )


def done(tmp_path: Path) -> list[str]:
    log = tmp_path / "ran.log"
    return sorted(line.split()[1] for line in log.read_text().splitlines() if line.startswith("done")) if log.exists() else []


def lock_free(tmp_path: Path) -> bool:
    """No process of the run is left: the directory's run lock (held by every one of them) is free."""
    with open(tmp_path / ".ruffus_luigi.lock", "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


@pytest.mark.timeout(180)
@pytest.mark.held("luigi --module", "adversarial")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_to_the_luigi_command_ends_its_run_and_the_rerun_does_the_rest(tmp_path, workers):
    (tmp_path / "slow.py").write_text(SCRIPT)
    (tmp_path / "SLOW").write_text("")
    command = [LUIGI, "--module", "slow", "start", "--local-scheduler", "--workers", workers]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not (done(tmp_path) == ["0.txt", "1.txt"] and "start 2.txt" in (tmp_path / "ran.log").read_text()):
            time.sleep(0.1)
        assert done(tmp_path) == ["0.txt", "1.txt"]
        process.send_signal(signal.SIGTERM)  # to the luigi command alone, not its group
        process.wait(timeout=30)
        deadline = time.time() + 15
        while time.time() < deadline and not lock_free(tmp_path):
            time.sleep(0.1)
        assert lock_free(tmp_path), "a process of the run outlived the luigi command"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    assert not (tmp_path / "2.txt").exists() and not (tmp_path / "3.txt").exists()

    (tmp_path / "SLOW").unlink()
    (tmp_path / "ran.log").unlink()
    again = subprocess.run(command, cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert done(tmp_path) == ["2.txt", "3.txt"]  # what was left, only
    assert "'slow.start': 2 of 2 jobs done, 0 failed, 0 not run (finished)" in again.stderr


@pytest.mark.timeout(120)
@pytest.mark.held("luigi --module", "bad input")
@pytest.mark.parametrize("given", [["--chunk", "2"], ["--run-id", "abc"]])
def test_internal_parameters_on_the_command_line_are_refused_by_name(tmp_path, given):
    (tmp_path / "slow.py").write_text(SCRIPT)
    done = subprocess.run(
        [LUIGI, "--module", "slow", "start", "--local-scheduler", "--retcode-scheduling-error", "5", *given],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 5, done.stderr
    assert "Ruffus task 'slow.start': %s=%s names no run or chunk of this process" % (given[0][2:].replace("-", "_"), given[1]) in done.stderr
    assert "name the task alone (luigi --module SCRIPT start)" in done.stderr
    assert not (tmp_path / "ran.log").exists()


@pytest.mark.timeout(180)
@pytest.mark.held("luigi --module", "adversarial")
def test_two_luigi_commands_at_once_on_one_luigid_run_each_job_once(tmp_path, luigid):
    (tmp_path / "slow.py").write_text(SCRIPT.replace("time.sleep(60)", "time.sleep(1)"))
    (tmp_path / "SLOW").write_text("")
    command = [LUIGI, "--module", "slow", "start", "--scheduler-host", "127.0.0.1", "--scheduler-port", str(luigid.port),
               "--workers", "2", "--no-lock"]  # (--no-lock: Luigi itself would stop the second at once)
    processes = []
    try:
        for _ in range(2):
            processes.append(subprocess.Popen(command, cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE, text=True, start_new_session=True))
            time.sleep(0.2)
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    finally:
        for p in processes:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    for code, err in outcomes:
        assert code == 0, err
    log = (tmp_path / "ran.log").read_text().splitlines()
    assert sorted(line for line in log if line.startswith("done")) == ["done %d.txt" % i for i in range(4)], log
    assert sorted(p.name for p in tmp_path.glob("?.txt")) == ["0.txt", "1.txt", "2.txt", "3.txt"]
    assert lock_free(tmp_path)
