"""A luigid that is not there, never answers, answers HTTP 500, HTML or garbage, or dies mid-run.

Whichever way it was named (``ruffus-luigi --scheduler-host/--scheduler-port``,
RUFFUS_LUIGI_SCHEDULER_URL, luigi.cfg, a script's ``--scheduler-host``), the run ends within
``scheduler_timeout`` with one line on stderr naming the URL and what to check, a non-zero exit
status and no traceback; jobs that finished stay done and a clean run afterwards does the rest.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "slow_fanout.py"
EXPECTED_ALL = "".join("s%d.start\nstep\n" % i for i in range(6))

held = pytest.mark.held("clear errors: luigid", "bad input")


def run(workdir: Path, *args: str, env: dict | None = None, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """``ruffus-luigi [args]`` in workdir, the scheduler settings of this shell removed."""
    (workdir / SCRIPT.name).write_text(SCRIPT.read_text())
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "LUIGI_CONFIG"))}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", *args],
        cwd=workdir, env={**base, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True, text=True, timeout=timeout,
    )
    return done, time.monotonic() - started


def assert_one_clear_line(done: subprocess.CompletedProcess, url: str, why: str) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "RPCError" not in done.stderr and "JSONDecodeError" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("ruffus-luigi: luigid at %s did not answer for " % url.rstrip("/")), done.stderr
    assert why in line, line
    assert "Check that luigid is running and listening on that host and port" in line
    assert "scheduler_timeout (RUFFUS_LUIGI_SCHEDULER_TIMEOUT)" in line
    return line


def jobs(workdir: Path) -> Counter:
    log = workdir / "jobs.log"
    return Counter(line.rsplit(" ", 1)[0] for line in log.read_text().splitlines()) if log.exists() else Counter()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def silent_server():
    """Accepts connections (the kernel's backlog does) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield "http://127.0.0.1:%d/" % sock.getsockname()[1]
    finally:
        sock.close()


@contextmanager
def answering(status: int, body: bytes, content_type: str = "text/html"):
    """An HTTP server that answers every request with ``status`` and ``body``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d/" % server.server_port
    finally:
        server.shutdown()
        server.server_close()


@held
@pytest.mark.timeout(90)
def test_nothing_listening_named_by_cli_options_ends_within_the_timeout(tmp_path):
    port = free_port()
    done, took = run(tmp_path, "--scheduler-host", "127.0.0.1", "--scheduler-port", str(port), "run", SCRIPT.name,
                     env={"RUFFUS_LUIGI_SCHEDULER_TIMEOUT": "2"})
    line = assert_one_clear_line(done, "http://127.0.0.1:%d" % port, "connection refused")
    assert "did not answer for 2 s" in line and "RUFFUS_LUIGI_SCHEDULER_URL" in line
    assert took < 20
    assert not jobs(tmp_path), "no job may run without the scheduler"


@held
@pytest.mark.timeout(120)
def test_the_default_time_is_30_seconds(tmp_path):
    port = free_port()
    done, took = run(tmp_path, "run", SCRIPT.name, env={"RUFFUS_LUIGI_SCHEDULER_URL": "http://127.0.0.1:%d/" % port})
    line = assert_one_clear_line(done, "http://127.0.0.1:%d" % port, "connection refused")
    assert "did not answer for 30 s" in line
    assert 29 < took < 55


@held
@pytest.mark.timeout(90)
def test_a_luigid_that_accepts_and_never_answers_times_out(tmp_path):
    with silent_server() as url:
        done, took = run(tmp_path, "run", SCRIPT.name,
                         env={"RUFFUS_LUIGI_SCHEDULER_URL": url, "RUFFUS_LUIGI_SCHEDULER_TIMEOUT": "3"})
    assert_one_clear_line(done, url, "no answer")
    assert 3 < took < 15


@held
@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    "status, body, why",
    [
        (500, b"<html><body>Internal Server Error</body></html>", "HTTP 500"),
        (200, b"<html><head><title>Welcome to nginx!</title></head></html>", "not luigid's JSON: '<html><head><title>Welcome"),
        (200, b"\xff\xfe\x00garbage\x80\x81", "0xff"),
        (200, b'{"no": "response key"}', "not luigid's JSON"),
        (404, b"not found", "HTTP 404"),
        (200, b'{"response": null}', "answered null where luigid always answers a value"),
        (200, b"", "not luigid's JSON: ''"),
    ],
    ids=["http-500", "html", "binary-garbage", "json-without-response", "http-404", "null-work", "empty"],
)
def test_a_server_that_is_not_luigid_named_in_luigi_cfg(tmp_path, status, body, why):
    with answering(status, body) as url:
        (tmp_path / "luigi.cfg").write_text("[ruffus_luigi]\nscheduler_url = %s\nscheduler_timeout = 2\n" % url)
        done, took = run(tmp_path, "run", SCRIPT.name)
    line = assert_one_clear_line(done, url, why)
    assert "luigi.cfg" in line and "did not answer for 2 s" in line
    assert took < 20


@held
@pytest.mark.timeout(90)
def test_a_script_option_and_luigi_cfg_core_section_name_their_source(tmp_path):
    port = free_port()
    script = tmp_path / "cmdline_script.py"
    script.write_text(
        "from ruffus import *\n"
        "parser = cmdline.get_argparse(description='x')\n"
        "options = parser.parse_args()\n"
        "@originate(['a.txt'])\n"
        "def make(o):\n"
        "    open(o, 'w').write('a')\n"
        "cmdline.run(options)\n"
    )
    done, _ = run(tmp_path, "run", script.name, "--scheduler-host", "127.0.0.1", "--scheduler-port", str(port),
                  env={"RUFFUS_LUIGI_SCHEDULER_TIMEOUT": "1.5"})
    line = assert_one_clear_line(done, "http://127.0.0.1:%d" % port, "connection refused")
    assert "--scheduler-host/--scheduler-port" in line and "1.5 s" in line
    (tmp_path / "luigi.cfg").write_text("[core]\ndefault_scheduler_host = 127.0.0.1\ndefault_scheduler_port = %d\n" % port)
    done, _ = run(tmp_path, "run", SCRIPT.name, env={"RUFFUS_LUIGI_SCHEDULER_TIMEOUT": "1"})
    line = assert_one_clear_line(done, "http://127.0.0.1:%d" % port, "connection refused")
    assert "[core] default_scheduler_host" in line


@held
@pytest.mark.timeout(60)
@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf"])
def test_a_bad_timeout_is_an_error_naming_the_setting(tmp_path, value):
    done, _ = run(tmp_path, "run", SCRIPT.name,
                  env={"RUFFUS_LUIGI_SCHEDULER_URL": "http://127.0.0.1:%d/" % free_port(), "RUFFUS_LUIGI_SCHEDULER_TIMEOUT": value})
    assert done.returncode != 0
    assert "RUFFUS_LUIGI_SCHEDULER_TIMEOUT / [ruffus_luigi] scheduler_timeout: %r is not a number of seconds" % value in done.stderr


@held
@pytest.mark.timeout(180)
def test_luigid_dying_mid_run_ends_it_after_the_timeout_and_a_clean_run_does_the_rest(luigid, tmp_path):
    """Killed mid-run and not restarted: the run gives up after the timeout (not at once: a
    restarted luigid is reached again); what finished stays done."""
    (tmp_path / SCRIPT.name).write_text(SCRIPT.read_text())
    base = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env = {**base, "PYTHONPATH": str(REPO), "RUFFUS_LUIGI_SCHEDULER_URL": luigid.url, "RUFFUS_LUIGI_SCHEDULER_TIMEOUT": "4"}
    proc = subprocess.Popen([sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, "2"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(name.startswith("step ") for name in jobs(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(name.startswith("step ") for name in jobs(tmp_path)), "the run did not get going"
        luigid.stop()
        stopped = time.monotonic()
        _out, err = proc.communicate(timeout=90)
        took = time.monotonic() - stopped
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        luigid.start()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("ruffus-luigi: luigid at %s did not answer for 4 s" % luigid.url.rstrip("/")), err
    assert 3.5 < took < 40
    first = jobs(tmp_path)
    assert not (tmp_path / "all.txt").exists()

    done, _ = run(tmp_path, "run", SCRIPT.name, "2", env={"RUFFUS_LUIGI_SCHEDULER_URL": luigid.url})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    rerun = jobs(tmp_path) - first
    assert not any(name.startswith("make ") for name in rerun), "jobs that finished ran again"
    assert rerun["total all.txt"] == 1


@held
@pytest.mark.timeout(180)
def test_luigid_restarted_mid_run_within_the_timeout_the_run_carries_on(luigid, tmp_path):
    (tmp_path / SCRIPT.name).write_text(SCRIPT.read_text())
    base = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env = {**base, "PYTHONPATH": str(REPO), "RUFFUS_LUIGI_SCHEDULER_URL": luigid.url, "RUFFUS_LUIGI_SCHEDULER_TIMEOUT": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, "2"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(name.startswith("step ") for name in jobs(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.05)
        luigid.stop()
        time.sleep(2)
        luigid.start()
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    assert set(jobs(tmp_path).values()) == {1}
