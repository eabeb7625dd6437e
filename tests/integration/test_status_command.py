"""``ruffus-luigi status SCRIPT``: what a run would do, task by task; nothing runs, nothing is written.

Real scripts and files: the verdicts are checked against what ``ruffus-luigi run`` then runs
(each job appends a line to a log), and the directory (files, times, the history's bytes)
is compared before and after each ``status``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

SCRIPT = '''\
import os

from ruffus import cmdline, merge, originate, suffix, transform

parser = cmdline.get_argparse(description="status")
options = parser.parse_args()


def log(task, name):
    with open("jobs.log", "a") as f:
        f.write("%s %s\\n" % (task, name))


@originate(["a.start", "b.start", "c.start"])
def make(out):
    log("make", out)
    open(out, "w").write(out)


@transform(make, suffix(".start"), ".mid")
def mid(inp, out):
    log("mid", out)
    open(out, "w").write(open(inp).read())


@merge(mid, "all.done")
def done(inps, out):
    log("done", out)
    open(out, "w").write("".join(open(i).read() for i in inps))


@transform(["x.in", "y.in"], suffix(".in"), ".out")
def given(inp, out):
    log("given", out)
    open(out, "w").write(open(inp).read())


try:
    cmdline.run(options, checksum_level=1)
except Exception:
    log("caught", "exception")
'''


def ruffus_luigi(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "RUFFUS_LUIGI_PROGRESS": "0"},
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def snapshot(directory: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every file under ``directory``: its modification time, and its bytes for the history."""
    found = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = Path(root, name)
            st = path.lstat()
            content = path.read_bytes() if name.endswith(".sqlite") else None
            found[str(path.relative_to(directory))] = (st.st_mtime_ns, content)
    return found


def status_json(cwd: Path, *args: str) -> dict:
    before = snapshot(cwd)
    report = json.loads(ruffus_luigi(cwd, "status", "--json", "p.py", *args).stdout)
    assert snapshot(cwd) == before, "status changed the directory"
    assert report["schema"] == "ruffus-luigi/status" and report["version"] == 1
    return report


def ran(cwd: Path, seen: int) -> tuple[Counter, int]:
    """Jobs run per task since the log had ``seen`` lines."""
    log = cwd / "jobs.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(line.split()[0] for line in lines[seen:]), len(lines)


def out_of_date(report: dict) -> Counter:
    return Counter({t["name"]: t["jobs"]["out_of_date"] for t in report["tasks"] if t["jobs"]["out_of_date"]})


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "p.py").write_text(SCRIPT)
    for name in ("x.in", "y.in"):
        (tmp_path / name).write_text(name)
    return tmp_path


@pytest.mark.timeout(240)
def test_status_says_exactly_which_tasks_and_jobs_the_run_then_runs(workdir: Path) -> None:
    report = status_json(workdir)
    assert not (workdir / ".ruffus_history.sqlite").exists()
    names = [t["name"] for t in report["tasks"]]  # in run order
    assert sorted(names) == ["done", "given", "make", "mid"] and names.index("make") < names.index("mid") < names.index("done")
    assert {t["name"]: t["jobs"]["total"] for t in report["tasks"]} == {"make": 3, "mid": 3, "done": 1, "given": 2}
    assert all(not t["up_to_date"] for t in report["tasks"])
    seen = 0
    past = time.time() - 3600
    for change, expected in (
        (lambda: None, {"make": 3, "mid": 3, "done": 1, "given": 2}),  # nothing made yet
        (lambda: os.utime(workdir / "b.mid", (past, past)), {}),  # everything made
        (lambda: (workdir / "c.mid").unlink(), {"mid": 1, "done": 1}),  # an input newer than its output
        (lambda: (workdir / "x.out").unlink(), {"mid": 1, "done": 1}),  # an intermediate gone
        (lambda: None, {"given": 1}),  # a final output gone
    ):
        ruffus_luigi(workdir, "run", "p.py")
        jobs, seen = ran(workdir, seen)
        assert jobs == out_of_date(report) == Counter(expected), (jobs, report)
        change()
        report = status_json(workdir)
        assert {t["name"] for t in report["tasks"] if not t["up_to_date"]} == set(out_of_date(report))
    assert all(t["up_to_date"] for t in report["tasks"])


@pytest.mark.timeout(120)
def test_verbose_gives_the_reason_of_each_job_as_ruffus_words_it(workdir: Path) -> None:
    ruffus_luigi(workdir, "run", "p.py")
    os.utime(workdir / "a.start", (time.time() + 5, time.time() + 5))
    (workdir / "b.mid").unlink()
    before = snapshot(workdir)
    shown = ruffus_luigi(workdir, "status", "-v", "p.py", "--forced_tasks", "given").stdout
    assert snapshot(workdir) == before
    lines = shown.splitlines()
    assert [ln.split()[:5] for ln in lines if ln.startswith("make ")] == [["make", "up", "to", "date", "jobs"]]
    assert any(ln.strip().startswith("[a.start -> a.mid]: Input files:") for ln in lines), shown
    assert "    [b.start -> b.mid]: Missing file [b.mid]" in lines, shown
    assert "    [[a.mid, b.mid, c.mid] -> all.done]: Upstream job will run: input a.mid, b.mid remade" in lines, shown
    assert "    [x.in -> x.out]: Forced to rerun" in lines, shown
    assert lines[-1].startswith("3 of 4 tasks out of date, 5 jobs to run (history: %s" % (workdir / ".ruffus_history.sqlite"))


@pytest.mark.timeout(120)
def test_jobs_whose_inputs_nothing_makes_are_counted(workdir: Path) -> None:
    (workdir / "y.in").unlink()
    report = status_json(workdir)
    tasks = {t["name"]: t for t in report["tasks"]}
    assert tasks["given"]["jobs"] == {"total": 2, "out_of_date": 2, "missing_inputs": 1}
    assert tasks["mid"]["jobs"]["missing_inputs"] == 0  # a.start ... are made by make


@pytest.mark.timeout(120)
def test_no_history_or_a_damaged_one_is_one_clear_line(workdir: Path) -> None:
    shown = ruffus_luigi(workdir, "status").stdout
    assert shown == "no job history at %s: nothing has run here yet\n" % (workdir / ".ruffus_history.sqlite")
    assert not (workdir / ".ruffus_history.sqlite").exists()
    history = workdir / ".ruffus_history.sqlite"
    history.write_bytes(b"not a database, but someone's data" * 100)
    before = snapshot(workdir)
    for args in (["p.py"], ["--json", "p.py"], []):
        failed = ruffus_luigi(workdir, "status", *args, check=False)
        assert failed.returncode == 1 and failed.stdout == ""
        assert failed.stderr.splitlines() == [
            "ruffus-luigi: the job history %s cannot be used (file is not a database): it is damaged: "
            "move it aside and run again (a new history is started; jobs whose outputs have no record then rerun)"
            % history
        ]
    assert snapshot(workdir) == before and not (workdir / "jobs.log").exists()


@pytest.mark.timeout(120)
def test_a_script_catching_every_exception_still_runs_nothing(workdir: Path) -> None:
    """The interception is not an Exception: ``except Exception`` around pipeline_run cannot resume the script."""
    status_json(workdir)
    assert not (workdir / "jobs.log").exists()


@pytest.mark.timeout(120)
def test_a_script_without_a_pipeline_call_is_said_so(tmp_path: Path) -> None:
    (tmp_path / "q.py").write_text("from ruffus import originate\nprint('hello')\n")
    failed = ruffus_luigi(tmp_path, "status", "q.py", check=False)
    assert failed.returncode == 1
    assert failed.stderr == "ruffus-luigi: q.py never called pipeline_run: nothing to report\n"


CHAIN = '''\
from ruffus import cmdline, originate, suffix, transform

options = cmdline.get_argparse(description="chain").parse_args()


def log(task):
    with open("jobs.log", "a") as f:
        f.write(task + "\\n")


@originate(["a.start", "b.start", "c.start"])
def make(out):
    log("make")
    open(out, "w").write(out * 100)


@transform(make, suffix(".start"), ".mid")
def mid(inp, out):
    log("mid")
    open(out, "w").write(open(inp).read())


@transform(mid, suffix(".mid"), ".end")
def end(inp, out):
    log("end")
    open(out, "w").write(open(inp).read())


cmdline.run(options)
'''


@pytest.mark.timeout(180)
def test_status_plans_with_the_checkpoint_strategies_the_run_uses(tmp_path: Path) -> None:
    """Zeroed intermediates look up to date; a final output gone brings back, job by job, what the run remakes."""
    (tmp_path / "p.py").write_text(CHAIN)
    ruffus_luigi(tmp_path, "run", "--checkpoint", "zero-intermediates", "p.py")
    assert (tmp_path / "b.mid").stat().st_size == 0
    report = status_json(tmp_path, "--checkpoint", "zero-intermediates")
    assert all(t["up_to_date"] for t in report["tasks"])
    assert report["freed"]["bytes"] == 2 * 3 * 700 and len(report["freed"]["files"]) == 6
    shown = ruffus_luigi(tmp_path, "status", "--checkpoint", "zero-intermediates", "p.py").stdout
    assert "6 zeroed, 0 removed: 4.1 KiB saved" in shown.splitlines()
    (tmp_path / "b.end").unlink()
    report = status_json(tmp_path, "--checkpoint", "zero-intermediates")
    reasons = {t["name"]: [r["reason"] for r in t["reasons"]] for t in report["tasks"]}
    assert reasons["make"] == ["Needed again by a job that must run (zero-intermediates)"]
    _, seen = ran(tmp_path, 0)
    ruffus_luigi(tmp_path, "run", "--checkpoint", "zero-intermediates", "p.py")
    jobs, _ = ran(tmp_path, seen)
    assert jobs == out_of_date(report) == Counter({"make": 1, "mid": 1, "end": 1})
    assert (tmp_path / "b.end").read_text() == "b.start" * 100
