"""Start and stop a real luigid on a free 127.0.0.1 port, for tests and benchmarks.

The server is started from the ``luigid`` that luigi installs, listens on loopback
only, keeps its state and logs in a directory of its own and is stopped by its pid,
never by name. Command line::

    python tools/luigid.py start DIR     # prints the URL; pid in DIR/luigid.pid
    python tools/luigid.py stop DIR
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on at this instant."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Luigid:
    """One luigid process; a context manager that stops it on exit."""

    def __init__(self, directory: str | os.PathLike, port: int | None = None):
        self.dir = Path(directory)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d/" % self.port

    def start(self, timeout: float = 30.0) -> Luigid:
        beside = Path(sys.executable).with_name("luigid")  # this interpreter's (a venv's) first
        exe = str(beside) if beside.is_file() else shutil.which("luigid")
        if exe is None:
            raise RuntimeError("luigid is not installed (pip install luigi)")
        self.dir.mkdir(parents=True, exist_ok=True)
        log = open(self.dir / "luigid.out", "ab")
        self.process = subprocess.Popen(
            [exe, "--address", "127.0.0.1", "--port", str(self.port),
             "--logdir", str(self.dir), "--state-path", str(self.dir / "state.pickle")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        (self.dir / "luigid.pid").write_text(str(self.process.pid))
        (self.dir / "luigid.url").write_text(self.url)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("luigid exited at start: see %s" % (self.dir / "luigid.out"))
            try:
                self.api("task_list", {"status": "", "upstream_status": ""})
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("luigid did not answer on %s within %ss" % (self.url, timeout))

    def api(self, method: str, data: dict | None = None) -> dict:
        """Call luigid's JSON API, as the visualiser does."""
        query = urllib.parse.urlencode({"data": json.dumps(data or {})})
        with urllib.request.urlopen(self.url + "api/" + method + "?" + query, timeout=5) as r:
            return json.loads(r.read())["response"]

    def stop(self) -> None:
        stop_pid(self.process.pid if self.process else None)
        if self.process:
            self.process.wait(timeout=30)

    def __enter__(self) -> Luigid:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def stop_pid(pid: int | None, grace: float = 10.0) -> None:
    """SIGTERM the process group of ``pid``, then SIGKILL it if it lingers."""
    if not pid:
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + grace
    while time.time() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        if _reaped(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reaped(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:
        return False


def main(argv: list[str]) -> int:
    command, directory = argv[0], Path(argv[1])
    if command == "start":
        server = Luigid(directory).start()
        print(server.url)
        return 0
    if command == "stop":
        pidfile = directory / "luigid.pid"
        stop_pid(int(pidfile.read_text()) if pidfile.exists() else None)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
