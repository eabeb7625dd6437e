"""A dry run asked for reasons (``ruffus-luigi run --reasons SCRIPT -n``, RUFFUS_LUIGI_REASONS=1):
Ruffus' printout exactly as without, then per task that would run its job count and why.

Each reason is brought about for real (a removed output, a touched input, an edited
function, changed parameters, a forced task, a removed directory, a zeroed intermediate,
an output no run recorded) and the reasons given are checked against what the next run
then runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ruffus_luigi.planning.reasons import WHY

SCRIPT = '''\
import os

from ruffus import check_if_uptodate, cmdline, merge, mkdir, originate, suffix, transform

parser = cmdline.get_argparse(description="reasons")
options = parser.parse_args()
EXTRA = os.environ.get("DEMO_EXTRA", "1")


def log(name):
    with open("jobs.log", "a") as f:
        f.write(name + "\\n")


@mkdir("out")
@originate(["out/a.start", "out/b.start", "out/c.start"])
def make(out):
    log(out)
    open(out, "w").write(out)


@transform(make, suffix(".start"), ".mid", EXTRA)
def mid(inp, out, extra):
    log(out)
    open(out, "w").write(open(inp).read() + "VERSION1")


@merge(mid, "out/all.done")
def done(inps, out):
    log(out)
    open(out, "w").write("".join(open(i).read() for i in inps))


def stale_flag(inp, out):
    return not os.path.exists(out) or os.path.exists("stale.flag"), "stale.flag exists"


@check_if_uptodate(stale_flag)
@transform(done, suffix(".done"), ".report")
def report(inp, out):
    log(out)
    open(out, "w").write("report")


cmdline.run(options, checksum_level=3)
'''

WHY_LINE = re.compile(r"^    (.*) (%s): " % "|".join(WHY))


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120, env={**os.environ, "RUFFUS_LUIGI_PROGRESS": "0", **(env or {})},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def why(cwd: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Job -> why, from a dry run with reasons; its printout checked against one without."""
    plain = run(cwd, "pipeline.py", "-n", "-v", "3", *args, env=env).stdout
    asked = run(cwd, "--reasons", "pipeline.py", "-n", "-v", "3", *args, env=env).stdout
    assert asked.startswith(plain), asked  # Ruffus' own printout unchanged
    added = asked[len(plain):].splitlines()
    assert added[0] == "Why jobs would run (ruffus-luigi):" and added[-1] == "_" * 40, added
    jobs = {}
    for line in added[1:-1]:
        m = WHY_LINE.match(line)
        if m:
            jobs[m.group(1)] = m.group(2)
        else:
            assert line.startswith("Task = ") or line == "    none", line
    return jobs


def ran(cwd: Path) -> list[str]:
    """The outputs the next real run makes (and it is then up to date)."""
    log = cwd / "jobs.log"
    log.write_text("")
    run(cwd, "pipeline.py")
    return sorted(log.read_text().split())


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "pipeline.py").write_text(SCRIPT)
    run(tmp_path, "pipeline.py")
    assert why(tmp_path) == {}
    return tmp_path


def older(path: Path) -> None:
    """Make ``path`` older than everything made so far (file times have coarse clocks)."""
    t = time.time() - 10
    os.utime(path, (t, t))


@pytest.mark.timeout(300)
def test_each_reason_is_named_and_matches_what_the_run_then_runs(work: Path) -> None:
    # a removed output, a touched input: those jobs, and what they feed
    (work / "out/b.mid").unlink()
    older(work / "out/c.mid")
    assert why(work) == {
        "[out/b.start -> out/b.mid, map]": "output missing",  # (Ruffus shows extras as "map")
        "[out/c.start -> out/c.mid, map]": "input newer",
        "[[out/a.mid, out/b.mid, out/c.mid] -> out/all.done]": "upstream will run",
    }  # (report: its check_if_uptodate decides, inputs remade or not)
    assert ran(work) == ["out/all.done", "out/b.mid", "out/c.mid"]

    # the function edited, then the parameters changed (checksum level 3)
    script = work / "pipeline.py"
    script.write_text(SCRIPT.replace("VERSION1", "VERSION2"))
    assert set(why(work).values()) == {"function changed", "upstream will run"}
    assert "out/a.mid" in ran(work)
    assert set(why(work, env={"DEMO_EXTRA": "2"}).values()) == {"parameters changed", "upstream will run"}

    # forced; the task's own check_if_uptodate
    assert why(work, "--forced_tasks", "make") == {
        **{"[None -> out/%s.start]" % s: "forced" for s in "abc"},
        **{"[out/%s.start -> out/%s.mid, map]" % (s, s): "upstream will run" for s in "abc"},
        "[[out/a.mid, out/b.mid, out/c.mid] -> out/all.done]": "upstream will run",
    }
    (work / "stale.flag").write_text("")
    assert why(work) == {"[out/all.done -> out/all.report]": "check_if_uptodate"}


@pytest.mark.timeout(300)
def test_missing_directory_unrecorded_outputs_and_freed_intermediate(work: Path) -> None:
    # outputs no run recorded (a history lost, or files made by hand): the first task's
    # jobs are left over, the others run because it does
    history = work / ".ruffus_history.sqlite"
    history.rename(work / "saved.sqlite")
    reasons = why(work)
    assert {r for job, r in reasons.items() if job.startswith("[None ->")} == {"left over from a failed run"}
    assert {r for job, r in reasons.items() if not job.startswith("[None ->")} == {"upstream will run"}
    (work / "saved.sqlite").rename(history)

    # a directory of @mkdir removed
    made = {p.name: p.read_bytes() for p in (work / "out").iterdir()}
    os.rename(work / "out", work / "out.saved")
    reasons = why(work)
    assert "directories missing" in reasons.values() and "output missing" in reasons.values()
    os.rename(work / "out.saved", work / "out")
    assert {p.name: p.read_bytes() for p in (work / "out").iterdir()} == made

    # intermediates zeroed by zero-intermediates, needed again when the final output goes
    run(work, "--checkpoint", "zero-intermediates", "pipeline.py")
    assert (work / "out/b.mid").stat().st_size == 0
    (work / "out/all.report").unlink()
    reasons = why(work, env={"RUFFUS_LUIGI_CHECKPOINT": "zero-intermediates"})
    assert reasons["[out/all.done -> out/all.report]"] == "check_if_uptodate"  # (its own function decides)
    assert {r for job, r in reasons.items() if job.startswith("[None ->")} == {"freed intermediate needed"}
    assert {r for job, r in reasons.items() if job.endswith(".mid, map]")} == {"upstream will run"}


@pytest.mark.timeout(300)
def test_status_json_gives_the_same_word_and_a_bad_setting_is_one_line(work: Path) -> None:
    (work / "out/a.mid").unlink()
    status = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "status", "--json", "pipeline.py"], cwd=work,
        capture_output=True, text=True, timeout=120,
    )
    assert status.returncode == 0, status.stderr
    tasks = {t["name"]: t for t in json.loads(status.stdout)["tasks"]}
    assert [r["why"] for r in tasks["mid"]["reasons"]] == ["output missing"]
    assert [r["why"] for r in tasks["done"]["reasons"]] == ["upstream will run"]

    bad = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "pipeline.py", "-n", "-v", "1"], cwd=work, capture_output=True,
        text=True, timeout=120, env={**os.environ, "RUFFUS_LUIGI_REASONS": "maybe"},
    )
    assert bad.returncode != 0
    assert "RUFFUS_LUIGI_REASONS / [ruffus_luigi] reasons: 'maybe' is not 0 or 1" in bad.stderr
    assert (work / "out/a.mid").exists() is False  # a dry run made nothing
