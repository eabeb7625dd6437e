"""What the adversarial tests of zero/remove-intermediates share: run a script both ways.

A test writes a Ruffus script (``PRELUDE`` + its tasks + ``RUN``) into a temporary
directory and runs it through ``ruffus-luigi run --checkpoint <strategy>``, or under real
Ruffus 3.0.0 (plain python3, without the shim) for the reference result. Every job
appends ``<task> <output basename>`` to jobs.log, so a test sees what each run ran.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STRATEGIES = ["zero-intermediates", "remove-intermediates"]

PRELUDE = '''
import os
import sys
from ruffus import *

def log(task, path):
    with open("jobs.log", "a") as f:
        f.write("%s %s\\n" % (task, os.path.basename(path)))

def read(path):
    with open(path) as f:
        return f.read()

def write(path, text):
    with open(path, "w") as f:
        f.write(text)
'''

RUN = '''
if __name__ == "__main__":
    targets = os.environ.get("TARGETS")
    pipeline_run(targets.split(",") if targets else [], verbose=0, multiprocess=int(os.environ.get("JOBS", "1")))
'''


def write_script(workdir: Path, tasks: str, name: str = "pipeline.py") -> Path:
    script = workdir / name
    script.write_text(PRELUDE + tasks + RUN)
    return script


def _environment(extra: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env.update(extra or {})
    return env


def run(workdir: Path, strategy: str, env: dict | None = None, check: bool = True,
        script: str = "pipeline.py") -> tuple[subprocess.CompletedProcess, Counter]:
    """``ruffus-luigi run --checkpoint strategy`` in workdir; the jobs it ran."""
    log = workdir / "jobs.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "--checkpoint", strategy, script],
        cwd=workdir, env=_environment(dict(env or {}, PYTHONPATH=str(REPO))),
        capture_output=True, text=True, timeout=150,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    ran = Counter(log.read_text().splitlines()[before:]) if log.exists() else Counter()
    return done, ran


def run_ruffus(workdir: Path, env: dict | None = None, script: str = "pipeline.py") -> Counter:
    """The same script under real Ruffus 3.0.0: the reference."""
    log = workdir / "jobs.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    env = _environment(env)
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, script], cwd=workdir, env=env, capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr
    return Counter(log.read_text().splitlines()[before:]) if log.exists() else Counter()


def contents(workdir: Path, names: list[str]) -> dict[str, bytes | None]:
    return {n: (workdir / n).read_bytes() if (workdir / n).exists() else None for n in names}


def freed(workdir: Path) -> dict[str, str]:
    """Recorded freed files (relative path -> state)."""
    history = workdir / ".ruffus_history.sqlite"
    con = sqlite3.connect(history)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'ruffus_luigi_intermediates'").fetchone():
            return {}
        rows = con.execute("SELECT path, state FROM ruffus_luigi_intermediates").fetchall()
    finally:
        con.close()
    return {os.path.relpath(p, workdir): state for p, state in rows}


def is_freed(workdir: Path, name: str, strategy: str) -> bool:
    """Whether a file looks freed on disk (empty, or gone) as the strategy would leave it."""
    path = workdir / name
    if strategy == "remove-intermediates":
        return not os.path.lexists(path)
    return path.exists() and path.stat().st_size == 0
