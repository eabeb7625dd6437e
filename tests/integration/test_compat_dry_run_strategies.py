"""Dry runs ask the checkpoint strategies: ``-n`` lists exactly the jobs the real run then runs.

A strategy's ``job_complete`` can make a job run that Ruffus' rules find up to date (a
missing flag file; an intermediate file freed by ``zero-intermediates`` or
``remove-intermediates`` that a job about to run reads again), and a removed intermediate
is present to planning. ``pipeline_printout`` and ``-n`` planned without the strategies:
they missed the first kind and listed the producers of every removed file. Ruffus 3.0.0
has no strategies; without one, ours prints what Ruffus prints (tests/differential).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_kit import run  # noqa: E402

PIPELINE = """\
import os
from ruffus import *
from ruffus import cmdline
from ruffus_luigi import plugins
from ruffus_luigi.checkpoints import Checkpoint
from ruffus_luigi.hookspecs import hookimpl


class FlagFiles(Checkpoint):  # docs/checkpoints.md's example
    name = "flag-files"

    def job_succeeded(self, job):
        for output in job.outputs:
            open(output + ".done", "w").close()

    def job_complete(self, job):
        if not all(os.path.exists(o + ".done") for o in job.outputs):
            return False
        return None


class FlagFilesPlugin:
    @hookimpl
    def ruffus_luigi_register_checkpoints(self):
        return {"flag-files": FlagFiles}


plugins.register(FlagFilesPlugin())
options = cmdline.get_argparse(description="dry").parse_args()


@originate(["a.txt", "b.txt", "c.txt"])
def make(o):
    open(o, "w").write(o * 100)

@transform(make, suffix(".txt"), ".mid")
def mid(i, o):
    open(o, "w").write(open(i).read().upper())

@transform(mid, suffix(".mid"), ".out")
def out(i, o):
    open(o, "w").write(open(i).read()[:10])

@merge(out, "all.sum")
def total(i, o):
    open(o, "w").write("".join(open(x).read() for x in i))

cmdline.run(options)
"""


def _listed(printout: str) -> set[str]:
    """The jobs a ``-n -v 3`` printout says will run (``Job  = [in`` and ``-> out]`` on two lines)."""
    section = printout.split("Tasks which will be run:", 1)[1]
    return {"Job  = [%s -> %s]" % pair for pair in re.findall(r"^ +Job  = \[(.*)\n +-> (.*)\]$", section, re.M)}


def _ran(log: str) -> set[str]:
    return set(re.findall(r"^ +(Job  = \[.*\]) completed$", log, re.M))


def _dry_then_real(work: Path, strategy: str) -> tuple[set[str], set[str]]:
    dry = run("ruffus_luigi", work, PIPELINE, "--checkpoint", strategy, "-n", "-v", "3")
    assert dry.returncode == 0, dry.stderr
    real = run("ruffus_luigi", work, PIPELINE, "--checkpoint", strategy, "-v", "3")
    assert real.returncode == 0, real.stderr
    return _listed(dry.stdout), _ran(real.stderr)


@pytest.mark.timeout(300)
def test_flag_files_strategy_decides_what_a_dry_run_lists(tmp_path: Path) -> None:
    work = tmp_path / "work"
    first = run("ruffus_luigi", work, PIPELINE, "--checkpoint", "flag-files", "-v", "3")
    assert first.returncode == 0, first.stderr
    for flag in ("b.out.done", "c.mid.done", "c.out.done"):
        (work / flag).unlink()
    listed, ran = _dry_then_real(work, "flag-files")
    assert ran == {"Job  = [b.mid -> b.out]", "Job  = [c.txt -> c.mid]", "Job  = [c.mid -> c.out]",
                   "Job  = [[a.out, b.out, c.out] -> all.sum]"}
    assert listed == ran - {"Job  = [[a.out, b.out, c.out] -> all.sum]"}  # (made out of date by its inputs: Ruffus' printout too)
    assert _dry_then_real(work, "flag-files") == (set(), set())


@pytest.mark.timeout(300)
@pytest.mark.parametrize("strategy", ["zero-intermediates", "remove-intermediates"])
def test_freed_intermediates_a_dry_run_lists_what_is_brought_back(tmp_path: Path, strategy: str) -> None:
    work = tmp_path / "work"
    first = run("ruffus_luigi", work, PIPELINE, "--checkpoint", strategy, "-v", "3")
    assert first.returncode == 0, first.stderr
    freed = [f"{s}.{x}" for s in "abc" for x in ("txt", "mid", "out")]
    assert all(not (work / f).exists() or not (work / f).stat().st_size for f in freed)
    # freed files are as good as whole: nothing to do, nothing listed
    assert _dry_then_real(work, strategy) == (set(), set())
    # the merge must run again: every file it reads comes back, and every file making those
    (work / "all.sum").unlink()
    listed, ran = _dry_then_real(work, strategy)
    assert ran == {"Job  = [[a.out, b.out, c.out] -> all.sum]"} | {f"Job  = [None -> {s}.txt]" for s in "abc"} | {
        f"Job  = [{s}.txt -> {s}.mid]" for s in "abc"} | {f"Job  = [{s}.mid -> {s}.out]" for s in "abc"}
    assert listed == ran
    assert _dry_then_real(work, strategy) == (set(), set())


KILLED = """\
import os, signal, sys
from ruffus import *
from ruffus import cmdline

options = cmdline.get_argparse(description="killed").parse_args()

@originate(["d/out.txt"])
def make(o):
    with open(o, "w") as f:
        f.write("half")
    if os.environ.get("KILL_JOB"):
        os.kill(os.getpid(), signal.SIGKILL)  # the run dies in the middle of the job

cmdline.run(options)
"""


@pytest.mark.timeout(300)
def test_dry_run_with_atomic_leaves_what_a_killed_job_left(tmp_path: Path) -> None:
    """A dry run changes no file: the next real run is the one to clear a killed job's temporary files."""
    work = tmp_path / "work"
    (work / "d").mkdir(parents=True)
    killed = run("ruffus_luigi", work, KILLED, "--checkpoint", "atomic", env={"KILL_JOB": "1"})
    assert killed.returncode == -9
    left = sorted(p for p in (work / "d").rglob("*") if ".ruffus_luigi.tmp" in p.parts)
    assert left and not (work / "d" / "out.txt").exists()
    dry = run("ruffus_luigi", work, KILLED, "--checkpoint", "atomic", "-n", "-v", "3")
    assert dry.returncode == 0, dry.stderr
    assert _listed(dry.stdout) == {"Job  = [None -> d/out.txt]"}
    assert sorted(p for p in (work / "d").rglob("*") if ".ruffus_luigi.tmp" in p.parts) == left
    real = run("ruffus_luigi", work, KILLED, "--checkpoint", "atomic")
    assert real.returncode == 0, real.stderr
    assert not (work / "d" / ".ruffus_luigi.tmp").exists() and (work / "d" / "out.txt").read_text() == "half"


@pytest.mark.timeout(300)
def test_flowchart_colours_what_the_strategies_make_run(tmp_path: Path) -> None:
    """The flowchart (``--flowchart x.dot``) is a dry run too: a task a strategy makes run is not up to date."""
    work = tmp_path / "work"
    first = run("ruffus_luigi", work, PIPELINE, "--checkpoint", "flag-files")
    assert first.returncode == 0, first.stderr
    drawn = run("ruffus_luigi", work, PIPELINE, "--checkpoint", "flag-files", "--flowchart", "before.dot")
    assert drawn.returncode == 0, drawn.stderr
    (work / "c.out.done").unlink()
    drawn = run("ruffus_luigi", work, PIPELINE, "--checkpoint", "flag-files", "--flowchart", "after.dot")
    assert drawn.returncode == 0, drawn.stderr

    def node_lines(name: str) -> dict[str, str]:
        text = (work / name).read_text()
        return {task: re.sub(r'^\s*t\d+|label="\w+", ', "", line) for task in ("make", "mid", "out", "total")
                for line in text.splitlines() if re.search(r'label="%s"' % task, line)}

    before, after = node_lines("before.dot"), node_lines("after.dot")
    assert before["out"] == before["make"]  # all up to date
    assert after["make"] == before["make"] and after["mid"] == before["mid"]
    assert after["out"] != before["out"] and after["total"] != before["total"]  # to run, and made out of date


AFTER_RUN = PIPELINE.replace("cmdline.run(options)\n", """\
import io
if options.just_print:
    cmdline.run(options)
else:
    pipeline_run(checkpoint="remove-intermediates", verbose=0)
    pipeline_run(checkpoint="remove-intermediates", verbose=0)  # starts with files removed
    listing = io.StringIO()
    pipeline_printout(listing, verbose=3)  # no strategy chosen now
    print(listing.getvalue())
""")


@pytest.mark.timeout(300)
def test_freed_files_look_present_only_to_runs_that_choose_the_strategy(tmp_path: Path) -> None:
    """After a run with ``remove-intermediates``, a printout without it in the same process sees
    the removed files missing, as a fresh process (or Ruffus) does."""
    work = tmp_path / "work"
    same_process = run("ruffus_luigi", work, AFTER_RUN)
    assert same_process.returncode == 0, same_process.stderr
    fresh = run("ruffus_luigi", work, AFTER_RUN, "-n", "-v", "3")
    assert fresh.returncode == 0, fresh.stderr
    assert _listed(fresh.stdout) >= {"Job  = [b.txt -> b.mid]", "Job  = [b.mid -> b.out]"}
    assert _listed(same_process.stdout) == _listed(fresh.stdout)
