"""Run one script under real Ruffus 3.0.0 and under ``ruffus-luigi run``, as a new user would.

Each side runs in its own subprocess and directory (real Ruffus never shares a process
with ruffus-luigi); the directories have the same absolute path in turn, so messages
naming files compare equal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
IMPLEMENTATIONS = ("ruffus", "ruffus_luigi")


def environment(impl: str, extra: dict | None = None) -> dict[str, str]:
    """Real Ruffus: no PYTHONPATH at all; ours: this worktree only (the command adds the alias)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RUFFUS_LUIGI_CHECKPOINT", "RUFFUS_LUIGI_BACKEND")}
    if impl == "ruffus_luigi":
        environ["PYTHONPATH"] = str(REPO)
    environ.update(extra or {})
    return environ


def command(impl: str, script: str, *args: str) -> list[str]:
    if impl == "ruffus":
        return [sys.executable, script, *args]
    return [sys.executable, "-m", "ruffus_luigi", "run", script, *args]


def run(impl: str, workdir: Path, script_text: str, *args: str, env: dict | None = None,
        name: str = "pipeline.py", timeout: float = 120) -> subprocess.CompletedProcess:
    """Write the script into ``workdir`` and run it there under ``impl``."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / name).write_text(textwrap.dedent(script_text))
    return subprocess.run(
        command(impl, name, *args), cwd=workdir, env=environment(impl, env),
        capture_output=True, text=True, timeout=timeout,
    )


def both(tmp_path: Path, script_text: str, *args: str, env: dict | None = None) -> dict:
    """Run under each implementation in turn in ``tmp_path/work``; each side's files stay in ``tmp_path/<impl>``."""
    out = {}
    work = tmp_path / "work"
    for impl in IMPLEMENTATIONS:
        work.mkdir()
        try:
            out[impl] = run(impl, work, script_text, *args, env=env)
        finally:
            work.rename(tmp_path / impl)
    return out


def tree(root: Path) -> dict[str, str | None]:
    """Every file (its text) and directory (None) under ``root``, except scripts and histories."""
    found: dict[str, str | None] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.name.endswith((".py", ".sqlite")) or "__pycache__" in p.parts:
            continue
        found[rel] = None if p.is_dir() else p.read_text(errors="replace")
    return found
