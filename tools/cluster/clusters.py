"""Shared use of the test clusters (a one-host Grid Engine, a one-node Slurm) by test runs.

``cluster(name)`` makes sure the cluster runs (through ``sge.sh`` / ``slurm.sh`` beside this
file, see docs/clusters.md) and yields a :class:`Cluster`. The pytest fixtures in
``tests/cluster/conftest.py`` and ``tools/ruffus_suite.py`` both use it, so one start serves
both and neither stops a cluster the other still uses; the fixtures' docstring says more.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
STATE_DIR = Path(tempfile.gettempdir()) / "ruffus-luigi-clusters"
COMMAND_DIRS = ("/usr/bin", "/usr/sbin")


class ClusterError(Exception):
    """A cluster could not be started, described or stopped; the message has the script's output."""


@dataclass
class Cluster:
    name: str
    script: Path
    vars: dict[str, str]
    env: dict[str, str]
    path: tuple[str, ...] = COMMAND_DIRS
    started: bool = False
    drmaa_in_process: bool = False
    status: str = field(default="", repr=False)

    def run(self, args, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
        """Run a command with this cluster's environment; text output captured, not checked."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("errors", "replace")  # (job records may hold paths that are not UTF-8)
        return subprocess.run(args, env=self.env, text=True, timeout=timeout, **kwargs)

    def queued(self, ids: list[str]) -> list[str]:
        """Which of these cluster jobs the cluster still lists as pending or running."""
        if self.name == "sge":
            listed = self.run(["qstat", "-u", "*"]).stdout.split()
        else:
            listed = self.run(["squeue", "-h", "-o", "%i"]).stdout.split()
        return [i for i in ids if i in listed]


def _script(name: str, action: str, timeout: float = 600) -> tuple[int, str]:
    """Run tools/cluster/<name>.sh ACTION; return its exit status and output.

    The output goes through a file, not a pipe: a daemon that kept a pipe open would make
    us wait for ever.
    """
    with tempfile.TemporaryFile("w+") as out:
        try:
            rc = subprocess.run(
                ["bash", str(SCRIPTS / f"{name}.sh"), action],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                timeout=timeout,
            ).returncode
        except subprocess.TimeoutExpired:
            rc = -1
        out.seek(0)
        text = out.read()
    if rc == -1:
        text += f"\n(timed out after {timeout:.0f} s)"
    return rc, text


def _me() -> str:
    """This process, as pid:start time (a reused pid is a different process)."""
    return f"{os.getpid()}:{_start_time(os.getpid())}"


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in "ZX" else fields[19]


def _alive(user: str) -> bool:
    pid, start = user.split(":", 1)
    return _start_time(int(pid)) == start


@contextmanager
def _locked_state(name: str) -> Iterator[dict]:
    """The shared state of one cluster's fixtures, read and written under an fcntl lock."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    state_file = STATE_DIR / f"{name}.json"
    with open(STATE_DIR / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                state = json.loads(state_file.read_text())
            except (OSError, ValueError):
                state = {}
            state = {
                "started": bool(state.get("started")),
                "users": [u for u in state.get("users", []) if _alive(u)],
            }
            try:
                yield state
            finally:
                tmp = state_file.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(state))
                tmp.replace(state_file)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _drmaa_in_process() -> bool:
    """Was this process started with enough static TLS for libdrmaa (or jemalloc preloaded)?"""
    try:
        initial = Path("/proc/self/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    env = dict(item.decode(errors="replace").split("=", 1) for item in initial if b"=" in item)
    for tunable in env.get("GLIBC_TUNABLES", "").split(":"):
        key, _, value = tunable.partition("=")
        if key == "glibc.rtld.optional_static_tls" and value.isdigit() and int(value) >= 2048:
            return True
    return "libjemalloc" in env.get("LD_PRELOAD", "")


@contextmanager
def cluster(name: str) -> Iterator[Cluster]:
    """Use a running cluster (started here if need be, stopped by its last user if started so)."""
    me = _me()
    with _locked_state(name) as state:
        rc, status = _script(name, "status", timeout=120)
        started = rc != 0
        if started:
            rc, output = _script(name, "start")
            if rc != 0:
                # Stop what the failed start did start (the script stops only its own daemons).
                _, stopped = _script(name, "stop")
                raise ClusterError(
                    f"tools/cluster/{name}.sh start failed (exit {rc}):\n{output}\n"
                    f"--- {name}.sh status before the start:\n{status}\n"
                    f"--- {name}.sh stop after the failed start:\n{stopped}"
                )
            state["started"] = True
        rc, exports = _script(name, "env", timeout=60)
        if rc != 0:
            raise ClusterError(f"tools/cluster/{name}.sh env failed (exit {rc}):\n{exports}")
        state["users"].append(me)
    cluster_vars = {}
    for line in exports.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, value = words[1].split("=", 1)
            cluster_vars[key] = value
    env = dict(os.environ, **cluster_vars)
    on_path = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(
        [d for d in COMMAND_DIRS if d not in on_path] + [p for p in on_path if p]
    )
    try:
        yield Cluster(
            name=name, script=SCRIPTS / f"{name}.sh", vars=cluster_vars, env=env,
            started=started, drmaa_in_process=_drmaa_in_process(), status=status,
        )
    finally:
        rc = 0
        with _locked_state(name) as state:
            if me in state["users"]:  # one use ends: the same process may hold another (nested)
                state["users"].remove(me)
            if not state["users"] and state["started"]:
                rc, output = _script(name, "stop")
                state["started"] = False
        if rc != 0:
            raise ClusterError(f"tools/cluster/{name}.sh stop failed (exit {rc}):\n{output}")
