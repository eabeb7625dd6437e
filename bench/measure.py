"""Measured runs: each one a fresh interpreter, timed from outside, its peak RSS read back."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORKLOADS = REPO / "bench" / "workloads"
TOUCHED = {"w1": "in_000000.a", "w2": "part_000000.s", "w3": "a_0000.x"}
_RSS = re.compile(rb"^peak_rss_kb=(\d+)$", re.M)
_DROPPED = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "RUFFUS_LUIGI_SCHEDULER_URL", "MODE", "JOBLOG", "N", "MP")


class RunFailed(Exception):
    """A run exited non-zero, outlived its time limit or left wrong outputs; says how to repeat it."""


@dataclass
class Run:
    """Wall seconds (None: killed at the cap) and the driver's peak RSS in KiB."""

    seconds: float | None
    rss_kb: int | None


def jobs(workload: str, n: int) -> int:
    """How many Ruffus jobs one full run of the workload has."""
    return {"w1": 3 * n + min(n, 10) + 1, "w2": n + 3, "w3": n * n + 2 * n}[workload]


def environment(impl: str, n: int, pycache: Path, luigid_url: str | None = None, mp: int = 2) -> dict[str, str]:
    """The child's environment: only PYTHONPATH (and the luigid URL) tell the implementations apart;
    ``mp`` is ``multiprocess`` (plain Luigi: its workers)."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    paths = [str(WORKLOADS)]
    if impl in ("rl", "rl-luigid"):
        paths[:0] = [str(REPO / "ruffus_luigi" / "shim"), str(REPO)]
    if impl == "rl-luigid":
        env["RUFFUS_LUIGI_SCHEDULER_URL"] = luigid_url or ""
    # Byte-code goes to a private cache (warmed before timing), the same for every implementation.
    env.update(PYTHONPATH=os.pathsep.join(paths), PYTHONPYCACHEPREFIX=str(pycache), N=str(n), MP=str(mp))
    return env


def command(workload: str, impl: str) -> list[str]:
    """Plain Luigi and the floor have their own scripts; the three others run the very same Ruffus script."""
    if impl == "luigi":
        return [sys.executable, str(WORKLOADS / "luigi_plain.py"), workload]
    if impl == "floor":
        return [sys.executable, str(WORKLOADS / "floor.py"), workload]
    return [sys.executable, str(WORKLOADS / f"{workload}.py")]


def repro(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    """A shell line that repeats the run."""
    keys = ("PYTHONPATH", "RUFFUS_LUIGI_SCHEDULER_URL", "N", "MP", "MODE", "JOBLOG")
    assigns = " ".join("%s=%s" % (k, shlex.quote(env[k])) for k in keys if k in env)
    return "cd %s && env %s %s" % (shlex.quote(str(cwd)), assigns, shlex.join(cmd))


def run(cmd: list[str], cwd: Path, env: dict[str, str], limit: float, capped: bool = False) -> Run:
    """Time one run; past ``limit`` its process group (led by its pid) is killed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        if capped:
            return Run(None, None)
        raise RunFailed("no end after %gs: %s" % (limit, repro(cmd, cwd, env))) from None
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-3000:]
        raise RunFailed("exit %d: %s\n%s" % (proc.returncode, repro(cmd, cwd, env), tail))
    found = _RSS.findall(err)
    return Run(seconds, int(found[-1]) if found else None)


def check_outputs(workload: str, n: int, work: Path) -> None:
    """Raise RunFailed unless every output file of the workload is there."""
    want = {
        "w1": {".a": n, ".b": n, ".c": n, ".d": min(n, 10), ".e": 1},
        "w2": {".txt": 1, ".s": n, ".t": n, ".m": 1},
        "w3": {".x": n, ".y": n, ".p": n * n},
    }[workload]
    have = dict.fromkeys(want, 0)
    for entry in os.scandir(work):
        ext = os.path.splitext(entry.name)[1]
        if ext in have:
            have[ext] += 1
    if have != want:
        raise RunFailed("outputs in %s: %s, expected %s" % (work, have, want))


def scenarios(workload: str, n: int, impl: str, work: Path, env: dict[str, str],
              cap: float, limit: float) -> dict:
    """Full run, no-op rerun, rerun after touching one input, printout; in ``work``."""
    cmd = command(workload, impl)
    record: dict = {"seconds": {}, "rss_kb": {}}

    def measure(scenario: str, extra: dict[str, str] | None = None) -> Run:
        done = run(cmd, work, dict(env, **(extra or {})), cap if impl == "luigi" else limit,
                   capped=impl == "luigi")
        record["seconds"][scenario], record["rss_kb"][scenario] = done.seconds, done.rss_kb
        return done

    if measure("full").seconds is None:
        return record  # plain Luigi over its cap: nothing left to rerun
    ended = time.time()
    check_outputs(workload, n, work)
    if measure("noop").seconds is None or impl == "luigi":
        return record  # Luigi reruns nothing for a newer input and has no printout
    time.sleep(max(0.0, 1.1 - (time.time() - ended)))  # the touched input is newer than all outputs
    os.utime(work / TOUCHED[workload])
    measure("touch1", {"JOBLOG": "1"})
    log = work / "jobs.log"
    names = log.read_text().split() if log.exists() else []
    record["touch1_jobs"] = sorted(os.path.basename(name) for name in names)
    measure("printout", {"MODE": "printout"})
    return record
