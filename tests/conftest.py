"""Shared fixtures: a real luigid on a free loopback port, stopped by pid; the interruption figures."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from luigid import Luigid  # noqa: E402


@pytest.fixture(scope="module")
def luigid(tmp_path_factory):
    """A luigid for this test module; a failure to start fails the tests, never skips them."""
    with Luigid(tmp_path_factory.mktemp("luigid")) as server:
        yield server


FIGURES = ROOT / "artifacts" / "checkpoint_interrupts.jsonl"  # written by integration/checkpoint_kit.py


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller, before any worker starts
        FIGURES.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter, config):
    """Totals of the checkpoint interruption suite's reruns, as the README reports them."""
    if hasattr(config, "workerinput") or not FIGURES.exists():
        return
    lines = [json.loads(line) for line in FIGURES.read_text().splitlines() if line]
    if not lines:
        return
    total = {key: sum(line[key] for line in lines) for key in lines[0] if isinstance(lines[0][key], int)}
    where = sorted({line["backend"] for line in lines})
    terminalreporter.write_line(
        "checkpoint interruptions: %d checked (back ends %s, %d strategies), %d files compared "
        "byte for byte, %d jobs rerun (%d interrupted, %d succeeded ones rerun only to bring a freed "
        "file back), %d succeeded jobs not rerun; details in %s"
        % (len(lines), ", ".join(where), len({line["strategy"] for line in lines}), total["files_compared"],
           total["jobs_rerun"], total["interrupted_jobs"], total["succeeded_rerun_to_bring_back"],
           total["succeeded_not_rerun"], FIGURES.relative_to(ROOT))
    )
