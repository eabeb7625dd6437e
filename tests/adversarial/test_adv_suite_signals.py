"""The suite's Ctrl-C tests pass when the suite is started where SIGINT is ignored.

A background job of a script (`cmd &`), `nohup` wrappers and some CI runners start
pytest with SIGINT ignored; Python keeps it ignored and so does every child. Each test
relying on Ctrl-C, and the public back-end conformance kit, must set up the handling it
needs: here they run under an ignored SIGINT, with a timeout so a hang is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CTRL_C_TESTS = [
    "tests/unit/test_dispatch.py::test_interrupt_cancels_the_callers_jobs",
    "tests/integration/test_interrupt.py::test_ctrl_c_stops_the_run_within_seconds_and_the_rerun_does_only_what_is_left",
]

# the conformance kit's tests that stop jobs (selected by name: a new kit test must not change the count)
KIT_SIGNAL_TESTS = [
    "test_ctrl_c_cancels_the_jobs_in_flight",
    "test_cancel_stops_a_running_job",
    "test_cancel_stops_every_job_of_a_group",
]

# how the caller leaves SIGINT ignored: Python's `signal.SIG_IGN` before starting pytest, and a
# non-interactive shell's background job (bash ignores SIGINT and SIGQUIT for `cmd &`)
CALLERS = {
    "python-sig-ign": lambda cmd: [
        sys.executable,
        "-c",
        "import signal, subprocess, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "sys.exit(subprocess.run(sys.argv[1:]).returncode)\n",
        *cmd,
    ],
    "bash-background-job": lambda cmd: ["bash", "-c", '"$@" & wait $!', "bash", *cmd],
}


def env() -> dict:
    """The pytest runs inside these tests keep their interruption figures apart from ours
    (their start would wipe the file this run's figures go to)."""
    path = os.environ.get("PYTHONPATH")
    figures = os.path.join(tempfile.gettempdir(), "ruffus-luigi-inner-figures-%d.jsonl" % os.getpid())
    return dict(os.environ, PYTHONPATH=str(ROOT) + (os.pathsep + path if path else ""),
                RUFFUS_LUIGI_TEST_FIGURES=figures)


def run_ignoring_sigint(caller: str, cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # the caller itself starts with the usual disposition, whatever this process inherited
    return subprocess.run(
        CALLERS[caller](cmd), cwd=cwd, env=env(), capture_output=True, text=True, timeout=400,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def pytest_cmd(*args: str) -> list[str]:
    # --timeout: a test that hangs waiting for a Ctrl-C that never comes fails in 120 s
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "--timeout", "120", *args]


@pytest.mark.held("test suite: inherited signals", "adversarial")
@pytest.mark.timeout(450)
@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_ctrl_c_tests_pass_where_the_caller_ignores_sigint(caller):
    # the caller really leaves SIGINT ignored for what it starts
    probe = run_ignoring_sigint(
        caller, [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"], ROOT
    )
    assert probe.stdout.strip() == "True", probe
    done = run_ignoring_sigint(caller, pytest_cmd(*CTRL_C_TESTS), ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "%d passed" % len(CTRL_C_TESTS) in done.stdout, done.stdout


@pytest.mark.held("test suite: inherited signals", "adversarial")
@pytest.mark.timeout(450)
def test_conformance_kit_ctrl_c_where_the_caller_ignores_sigint(tmp_path):
    # a plugin's own tests, outside this repository: no conftest of ours sets anything up
    test = tmp_path / "test_my_backend.py"
    shutil.copy(ROOT / "plugins" / "ruffus-luigi-example" / "tests" / "test_example_conformance.py", test)
    done = run_ignoring_sigint(
        "python-sig-ign",
        pytest_cmd("--rootdir", str(tmp_path), "-k", " or ".join(KIT_SIGNAL_TESTS), str(test)),
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "%d passed" % len(KIT_SIGNAL_TESTS) in done.stdout, done.stdout
