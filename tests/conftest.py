"""Shared fixtures: a real luigid on a free loopback port, stopped by pid; the interruption figures;
the "tried and held" counts of the adversarial tests."""

import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from luigid import Luigid  # noqa: E402

# Started where SIGINT is ignored (`nohup`, `cmd &` in a script, some CI runners), pytest and
# every process it starts would inherit that: Ctrl-C would neither raise KeyboardInterrupt
# here nor stop a child. Tests of Ctrl-C also set what they rely on themselves; this gives the
# suite's processes (controller and xdist workers alike) and their children the usual default.
signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _environment_as_it_was():
    """Each test leaves os.environ as it found it (ruffus-luigi sets variables for the processes a
    run starts, ``config.set_for_children``): a value left behind would change what later tests
    in the same worker run, and only in some orders."""
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)


@pytest.fixture(scope="module")
def luigid(tmp_path_factory):
    """A luigid for this test module; a failure to start fails the tests, never skips them."""
    with Luigid(tmp_path_factory.mktemp("luigid")) as server:
        yield server


# written by integration/checkpoint_kit.py; a pytest run inside a test names its own file, so that
# its start does not wipe the figures of the run it is part of
FIGURES = Path(os.environ.get("RUFFUS_LUIGI_TEST_FIGURES") or ROOT / "artifacts" / "checkpoint_interrupts.jsonl")


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller, before any worker starts
        FIGURES.unlink(missing_ok=True)


HELD_KINDS = ("bad input", "state corruption", "adversarial")
_held: Counter = Counter()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "held(cls, kind): an adversarial test of guarantee class `cls`; kind is one of "
        + ", ".join(HELD_KINDS) + " (counted in the 'tried and held' summary)",
    )


def pytest_collection_modifyitems(items):
    for item in items:
        for mark in item.iter_markers("held"):
            cls, kind = mark.args
            if kind not in HELD_KINDS:
                raise pytest.UsageError("%s: held kind %r is not one of %s" % (item.nodeid, kind, HELD_KINDS))
            item.user_properties.append(("held", (cls, kind)))


def pytest_runtest_logreport(report):
    """Counted on the controller (user_properties travel from xdist workers): passed calls only."""
    if report.when == "call" and report.passed:
        for name, value in report.user_properties:
            if name == "held":
                _held[tuple(value)] += 1


def _tried_and_held_table() -> list[str]:
    classes = sorted({cls for cls, _ in _held})
    lines = ["| class | " + " | ".join(HELD_KINDS) + " | all |", "|---" * (len(HELD_KINDS) + 2) + "|"]
    for cls in classes + ["all"]:
        counts = [sum(n for (c, k), n in _held.items() if k == kind and cls in (c, "all")) for kind in HELD_KINDS]
        lines.append("| %s | %s | %d |" % (cls, " | ".join(map(str, counts)), sum(counts)))
    return lines


def pytest_terminal_summary(terminalreporter, config):
    """Totals of the checkpoint interruption suite's reruns and the adversarial tests that held,
    as the README reports them."""
    if hasattr(config, "workerinput"):
        return
    if _held:
        terminalreporter.write_line("tried and held (adversarial tests passed, by guarantee class):")
        for line in _tried_and_held_table():
            terminalreporter.write_line(line)
    if not FIGURES.exists():
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
