"""Checkpoint strategies end to end: atomic outputs, zeroed and removed intermediates, choosing them.

Each run is a fresh interpreter running tests/pipelines/scenarios/three_steps.py through
``ruffus-luigi run``; jobs.log says which jobs ran.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "three_steps.py"
NAMES = ["a", "b", "c"]
INTERMEDIATES = [n + ext for ext in (".start", ".mid", ".end") for n in NAMES]


def expected_total() -> str:
    return "".join("%d\n" % len((n + ".start") * 100) for n in NAMES)


def run(workdir: Path, checkpoint: str = "", *args: str, env: dict | None = None, check: bool = True):
    if not (workdir / SCRIPT.name).exists():
        shutil.copy(SCRIPT, workdir / SCRIPT.name)
    log = workdir / "jobs.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, checkpoint, *args],
        cwd=workdir,
        env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert done.returncode == 0, done.stderr
    ran = Counter(log.read_text().splitlines()[before:]) if log.exists() else Counter()
    return done, ran


def sizes(workdir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in workdir.iterdir() if p.suffix in (".start", ".mid", ".end", ".txt")}


def mtimes(workdir: Path, names: list[str]) -> dict[str, int]:
    return {n: (workdir / n).stat().st_mtime_ns for n in names}


# -- atomic ------------------------------------------------------------------------------
def test_atomic_failed_job_leaves_no_output_and_the_rerun_runs_only_it(tmp_path):
    done, ran = run(tmp_path, "atomic", "2", env={"FAIL_JOB": "b.mid"}, check=False)
    assert done.returncode != 0
    assert "cannot finish writing b.mid" in done.stderr
    assert not (tmp_path / "b.mid").exists(), "a half-written output reached its final path"
    assert (tmp_path / "a.mid").read_text() == ("a.start" * 100).upper()
    assert not list(tmp_path.rglob(".ruffus_luigi.tmp")), "temporary files were left behind"

    _, ran = run(tmp_path, "atomic", "2")
    assert ran == Counter(["mid b.mid", "end b.end", "total total.txt"])
    assert (tmp_path / "total.txt").read_text() == expected_total()


def test_without_atomic_the_half_written_output_stays(tmp_path):
    """What atomic protects against: Ruffus leaves the half file (its history marks it unfinished)."""
    done, _ = run(tmp_path, "history", env={"FAIL_JOB": "b.mid"}, check=False)
    assert done.returncode != 0
    assert (tmp_path / "b.mid").read_text() == ("b.start" * 100).upper()[:350]


def test_atomic_output_has_its_final_name_only_after_success_and_the_job_sees_the_same_basename(tmp_path):
    (tmp_path / "check.py").write_text(
        textwrap.dedent(
            """
            import os
            from ruffus import originate, pipeline_run

            @originate(["x.tsv"])
            def make(output):
                assert os.path.basename(output) == "x.tsv" and output != "x.tsv", output
                assert not os.path.exists("x.tsv")
                open(output, "w").write("done")

            pipeline_run(verbose=0, checkpoint="atomic")
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "check.py"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.tsv").read_text() == "done"


# -- zero-intermediates / remove-intermediates -------------------------------------------
def test_zero_intermediates_frees_space_keeps_times_and_nothing_reruns(tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    _, first = run(reference, "history")
    full = sizes(reference)
    tmp_path = tmp_path / "zeroed"
    tmp_path.mkdir()
    _, ran = run(tmp_path, "zero-intermediates")
    assert ran == first
    zeroed = sizes(tmp_path)
    assert all(zeroed[n] == 0 for n in INTERMEDIATES), zeroed
    assert zeroed["total.txt"] == full["total.txt"]
    assert (tmp_path / "total.txt").read_text() == expected_total()

    times = mtimes(tmp_path, INTERMEDIATES + ["total.txt"])
    _, ran = run(tmp_path, "zero-intermediates")
    assert ran == Counter(), "a zeroed pipeline must stay up to date"
    assert mtimes(tmp_path, INTERMEDIATES + ["total.txt"]) == times

    status = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "status"], cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, check=True,
    ).stdout
    assert "9 zeroed, 0 removed" in status
    saved = sum(full[n] for n in INTERMEDIATES)
    assert "%.1f KiB saved" % (saved / 1024) in status
    assert "b.mid" in status and "(made by mid)" in status


def test_a_job_that_must_rerun_brings_its_zeroed_inputs_back_first(tmp_path):
    keep_ends = {"RUFFUS_LUIGI_KEEP": "*.end"}
    run(tmp_path, "zero-intermediates", env=keep_ends)
    (tmp_path / "b.end").unlink()
    _, ran = run(tmp_path, "zero-intermediates", env=keep_ends)
    # b.end needs b.mid, which needs b.start: both were zeroed, so their jobs run again;
    # total reads every .end, which were kept
    assert ran == Counter(["make b.start", "mid b.mid", "end b.end", "total total.txt"])
    assert (tmp_path / "total.txt").read_text() == expected_total()
    assert (tmp_path / "b.end").read_text() == "%d\n" % len("b.start" * 100)
    assert sizes(tmp_path)["b.mid"] == 0, "zeroed again once its consumers were done"
    _, ran = run(tmp_path, "zero-intermediates", env=keep_ends)
    assert ran == Counter()


def test_a_merge_that_must_rerun_brings_back_every_input(tmp_path):
    run(tmp_path, "zero-intermediates")
    (tmp_path / "total.txt").unlink()
    _, ran = run(tmp_path, "zero-intermediates")
    assert sum(ran.values()) == 10, ran
    assert (tmp_path / "total.txt").read_text() == expected_total()


def test_remove_intermediates_deletes_them_and_the_pipeline_stays_up_to_date(tmp_path):
    _, first = run(tmp_path, "remove-intermediates", "2")
    assert sum(first.values()) == 10
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".py") == [".ruffus_history.sqlite", "jobs.log", "total.txt"]
    assert (tmp_path / "total.txt").read_text() == expected_total()
    _, ran = run(tmp_path, "remove-intermediates", "2")
    assert ran == Counter()

    (tmp_path / "total.txt").unlink()
    _, ran = run(tmp_path, "remove-intermediates", "2")
    assert sum(ran.values()) == 10, "total needs every .end, which needs everything upstream"
    assert (tmp_path / "total.txt").read_text() == expected_total()
    status = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "status"], cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, check=True,
    ).stdout
    assert "0 zeroed, 9 removed" in status


def test_keep_patterns_and_per_task_keep_outputs_protect_files(tmp_path):
    (tmp_path / "luigi.cfg").write_text("[ruffus_luigi]\nkeep = b.*\n\n[ruffus_luigi.task.mid]\nkeep_outputs = true\n")
    run(tmp_path, "zero-intermediates", env={"LUIGI_CONFIG_PATH": str(tmp_path / "luigi.cfg")})
    got = sizes(tmp_path)
    assert got["a.start"] == 0 and got["c.end"] == 0
    assert all(got["b" + ext] > 0 for ext in (".start", ".mid", ".end")), got
    assert all(got[n + ".mid"] > 0 for n in NAMES), got


def test_a_task_can_choose_its_own_strategy(tmp_path):
    (tmp_path / "luigi.cfg").write_text("[ruffus_luigi.task.end]\ncheckpoint = remove-intermediates\n")
    run(tmp_path, "history", env={"LUIGI_CONFIG_PATH": str(tmp_path / "luigi.cfg")})
    left = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".start", ".mid", ".end"))
    assert left == sorted(n + ext for n in NAMES for ext in (".start", ".mid")), left


def test_intermediates_read_by_a_task_outside_the_targets_are_kept(tmp_path):
    shutil.copy(SCRIPT, tmp_path / SCRIPT.name)
    script = (tmp_path / SCRIPT.name).read_text().replace("pipeline_run(\n", "pipeline_run(\n        target_tasks=['end'],\n")
    (tmp_path / SCRIPT.name).write_text(script)
    run(tmp_path, "zero-intermediates")
    got = sizes(tmp_path)
    assert "total.txt" not in got
    assert all(got[n + ".end"] > 0 for n in NAMES), "the .end files are what the targets asked for"
    assert all(got[n + ".start"] == 0 and got[n + ".mid"] == 0 for n in NAMES), got


# -- choosing strategies -------------------------------------------------------------------
def test_unknown_strategy_is_a_clear_error_and_nothing_runs(tmp_path):
    done, ran = run(tmp_path, "atomic,zero-intermediate", check=False)
    assert done.returncode != 0
    assert "unknown checkpoint strategy 'zero-intermediate' (in pipeline_run(checkpoint=...))" in done.stderr
    assert "installed: atomic, history, remove-intermediates, zero-intermediates" in done.stderr
    assert ran == Counter()


def test_command_line_and_environment_choose_strategies(tmp_path):
    shutil.copy(SCRIPT, tmp_path / SCRIPT.name)
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "--checkpoint", "remove-intermediates", SCRIPT.name],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "a.mid").exists() and (tmp_path / "total.txt").exists()
    rows = sqlite3.connect(tmp_path / ".ruffus_history.sqlite").execute(
        "SELECT state, COUNT(*) FROM ruffus_luigi_intermediates GROUP BY state"
    ).fetchall()
    assert rows == [("removed", 9)]


def test_a_third_party_strategy_composes_with_the_built_in_ones(tmp_path):
    (tmp_path / "mine.py").write_text(
        textwrap.dedent(
            """
            from ruffus import originate, pipeline_run
            from ruffus_luigi import plugins
            from ruffus_luigi.checkpoints import Checkpoint
            from ruffus_luigi.hookspecs import hookimpl

            class Journal(Checkpoint):
                name = "journal"
                def before_job(self, job):
                    open("journal.log", "a").write("before %s %s\\n" % (job.task, job.outputs))
                def job_succeeded(self, job):
                    open("journal.log", "a").write("ok %s\\n" % (job.params[1],))

            class Plugin:
                @hookimpl
                def ruffus_luigi_register_checkpoints(self):
                    return {"journal": Journal}

            plugins.register(Plugin())

            @originate(["one.txt"])
            def make(output):
                open(output, "w").write("1")

            pipeline_run(verbose=0, checkpoint="journal,atomic")
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "mine.py"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    journal = (tmp_path / "journal.log").read_text().splitlines()
    # journal wraps atomic: it sees the final names before and after (atomic has renamed by then)
    assert journal == ["before make ['one.txt']", "ok one.txt"]
    assert (tmp_path / "one.txt").read_text() == "1"


@pytest.mark.parametrize("strategy", ["zero-intermediates", "remove-intermediates"])
def test_real_ruffus_history_is_still_understood(tmp_path, strategy):
    """The table lives beside Ruffus' own in the same sqlite file; Ruffus' records are untouched."""
    run(tmp_path, strategy)
    con = sqlite3.connect(tmp_path / ".ruffus_history.sqlite")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"data", "ruffus_luigi_intermediates"} <= tables
    assert con.execute("SELECT COUNT(*) FROM data").fetchone()[0] == 10


def test_atomic_writes_through_an_output_that_is_a_symbolic_link(tmp_path):
    (tmp_path / "big").mkdir()
    (tmp_path / "x.txt").symlink_to("big/x.txt")
    (tmp_path / "link.py").write_text(
        "from ruffus import originate, pipeline_run\n"
        "@originate(['x.txt'])\n"
        "def make(output):\n"
        "    open(output, 'w').write('data')\n"
        "pipeline_run(verbose=0, checkpoint='atomic')\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "link.py"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.txt").is_symlink(), "the link was replaced by a file"
    assert (tmp_path / "big" / "x.txt").read_text() == "data"
