"""A hand-written Luigi task as a Ruffus task's input (docs/luigi.md, "Luigi tasks as inputs").

The Ruffus task reads the files of the Luigi task's ``output()``; Luigi runs the Luigi task
first, in the run's own worker and scheduler; Ruffus' rules decide what is up to date.
Each test runs real scripts with real Luigi and checks what ran, the files and the messages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIM = REPO / "ruffus_luigi" / "shim"
BIN = Path(sys.executable).parent

HEADER = '''
import json
import os
import sys

import luigi
from ruffus import *


def ran(what):
    if os.environ.get("RUFFUS_LUIGI_IN_CLUSTER_JOB"):  # (set in a job run by a cluster back end)
        what += " (a cluster job)"
    with open("ran.log", "a") as f:
        f.write(what + "\\n")


class MakeCsv(luigi.Task):
    day = luigi.Parameter()

    def output(self):
        return luigi.LocalTarget("%s.csv" % self.day)

    def run(self):
        ran("MakeCsv(%s)" % self.day)
        if self.day == "bad":
            raise ValueError("no data for " + self.day)
        with self.output().open("w") as f:
            f.write("day,%s\\n" % self.day)


class MakeTwo(luigi.Task):  # no parameter: it may be given as its class
    def output(self):
        return {"b": luigi.LocalTarget("two_b.csv"), "a": [luigi.LocalTarget("two_a.csv")]}

    def run(self):
        ran("MakeTwo")
        for target in luigi.task.flatten(self.output()):
            with target.open("w") as f:
                f.write(target.path + "\\n")


def copy(i, o, name):
    ran("%s %s" % (name, json.dumps(i)))
    with open(o, "w") as out:
        for name in [i] if isinstance(i, str) else i:
            out.write(open(name).read())
'''

CHAIN = HEADER + '''
@transform(MakeCsv(day="2026-12-01"), suffix(".csv"), ".tsv")
def to_tsv(i, o):
    copy(i, o, "to_tsv")


@transform(to_tsv, suffix(".tsv"), ".upper")  # may start early: it must still wait for MakeCsv
def upper(i, o):
    copy(i, o, "upper")


@merge([upper, MakeTwo], "all.txt")
def together(i, o):
    copy(i, o, "together")


if __name__ == "__main__":
    if sys.argv[1:] == ["printout"]:
        pipeline_printout(sys.stdout, verbose=3)
    elif sys.argv[1:] == ["graph"]:
        pipeline_printout_graph(sys.stdout.buffer, "dot", [together], no_key_legend=True)
    else:
        pipeline_run(multiprocess=int(os.environ.get("MP", "1")), verbose=0)
'''


def run(workdir: Path, script: str, *args: str, env: dict | None = None, ruffus_luigi: bool = True,
        before: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run a script in ``workdir`` under ruffus-luigi (or real Ruffus 3.0.0: ruffus_luigi=False)."""
    (workdir / "script.py").write_text(script)
    environ = dict(os.environ, **(env or {}))
    plugins = [str(p) for p in sorted((REPO / "plugins").iterdir()) if p.is_dir()]
    environ["PYTHONPATH"] = os.pathsep.join([*plugins, str(REPO)]) if ruffus_luigi else ""
    environ["PATH"] = str(BIN) + os.pathsep + environ.get("PATH", "")
    if ruffus_luigi:
        command = [str(BIN / "ruffus-luigi"), *before, "run", "script.py", *args]
    else:
        command = [sys.executable, "script.py", *args]
    return subprocess.run(command, cwd=workdir, env=environ, capture_output=True, text=True, timeout=120)


def ran(workdir: Path) -> list[str]:
    log = workdir / "ran.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def check_first_run(workdir: Path, lines: list[str]) -> None:
    assert sorted(lines) == sorted([
        "MakeCsv(2026-12-01)",
        'to_tsv "2026-12-01.csv"',  # one target: its file name, as if the script had written it
        'upper "2026-12-01.tsv"',
        "MakeTwo",
        'together ["2026-12-01.upper", "two_b.csv", "two_a.csv"]',  # a dict: luigi.task.flatten order
    ]), lines
    assert lines.index("MakeCsv(2026-12-01)") < lines.index('to_tsv "2026-12-01.csv"')
    assert lines.index("MakeTwo") < len(lines) - 1  # together came last
    assert (workdir / "all.txt").read_text() == "day,2026-12-01\ntwo_b.csv\ntwo_a.csv\n"


def set_mtime(path: Path, when: float) -> None:
    os.utime(path, (when, when))


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mp", ["1", "2"])
def test_luigi_task_runs_first_then_ruffus_rules_decide(tmp_path, mp):
    done = run(tmp_path, CHAIN, env={"MP": mp})
    assert done.returncode == 0, done.stderr
    check_first_run(tmp_path, ran(tmp_path))

    again = run(tmp_path, CHAIN, env={"MP": mp})  # all up to date: nothing runs, Luigi's task neither
    assert again.returncode == 0, again.stderr
    assert ran(tmp_path) == []

    # the Luigi task's output newer than the Ruffus outputs made from it: those are remade
    now = time.time()
    for name in ["2026-12-01.tsv", "2026-12-01.upper", "all.txt", "two_a.csv", "two_b.csv"]:
        set_mtime(tmp_path / name, now - 100)
    set_mtime(tmp_path / "2026-12-01.csv", now - 50)
    newer = run(tmp_path, CHAIN, env={"MP": mp})
    assert newer.returncode == 0, newer.stderr
    assert ran(tmp_path) == [
        'to_tsv "2026-12-01.csv"', 'upper "2026-12-01.tsv"', 'together ["2026-12-01.upper", "two_b.csv", "two_a.csv"]'
    ]

    # a Luigi task no longer complete runs again, and what reads it is remade after it
    (tmp_path / "two_a.csv").unlink()
    gone = run(tmp_path, CHAIN, env={"MP": mp})
    assert gone.returncode == 0, gone.stderr
    assert ran(tmp_path) == ["MakeTwo", 'together ["2026-12-01.upper", "two_b.csv", "two_a.csv"]']
    assert (tmp_path / "two_a.csv").read_text() == "two_a.csv\n"


@pytest.mark.timeout(240)
def test_luigi_task_under_luigid(tmp_path, luigid):
    where = ("--scheduler-host", "127.0.0.1", "--scheduler-port", str(luigid.port))
    done = run(tmp_path, CHAIN, env={"MP": "2"}, before=where)
    assert done.returncode == 0, done.stderr
    check_first_run(tmp_path, ran(tmp_path))
    again = run(tmp_path, CHAIN, env={"MP": "2"}, before=where)
    assert again.returncode == 0, again.stderr
    assert ran(tmp_path) == []


KINDS = HEADER + '''
CSV1, CSV2, CSV3, TWO = @INPUTS@


@split(CSV1, "d1.part*")
def parts(i, o):
    ran("parts " + json.dumps(i))
    for n in range(2):
        open("d1.part%d" % n, "w").write(open(i).read())


@subdivide([CSV2, "extra.csv"], formatter(), "{basename[0]}.*.sub", "{basename[0]}")
def pieces(i, o, stem):
    ran("pieces " + json.dumps(i))
    open(stem + ".0.sub", "w").write(open(i).read())


@collate(TWO, formatter(r"two_.\\.csv$"), "collated.txt")
def gathered(i, o):
    copy(list(i), o, "gathered")


@transform(CSV3, suffix(".csv"), add_inputs(@ADDED@, "extra.csv"), ".added")
def added(i, o):
    copy(list(i), o, "added")


@transform(["extra.csv"], suffix(".csv"), inputs(CSV3), ".replaced")
def replaced(i, o):
    copy(i, o, "replaced")


@transform([parts, CSV1], suffix(".csv"), ".own")  # with another Ruffus task's outputs (only d1.csv matches)
def own(i, o):
    copy(i, o, "own")


@merge(TWO, "merged.txt")
def merged(i, o):
    copy(i, o, "merged")


pipeline_run(verbose=0)
'''

# (in a list, a Luigi task's files take its place, as a Ruffus task's outputs do)
LUIGI_INPUTS = ('MakeCsv(day="d1"), MakeCsv(day="d2"), MakeCsv(day="d3"), MakeTwo', "MakeTwo")
FILE_NAMES = ('"d1.csv", "d2.csv", "d3.csv", ["two_b.csv", "two_a.csv"]', '"two_b.csv", "two_a.csv"')


def kinds(inputs: tuple[str, str]) -> str:
    return KINDS.replace("@INPUTS@", inputs[0]).replace("@ADDED@", inputs[1])


@pytest.mark.timeout(240)
def test_every_kind_reads_the_luigi_tasks_files_as_ruffus_reads_those_names(tmp_path):
    """Each decorator gets what Ruffus 3.0.0 gives it when the script names the files itself."""
    ours, theirs = tmp_path / "ours", tmp_path / "ruffus"
    for d in (ours, theirs):
        d.mkdir()
        (d / "extra.csv").write_text("extra\n")
    for name in ["d1.csv", "d2.csv", "d3.csv", "two_b.csv", "two_a.csv"]:  # what the Luigi tasks write
        (theirs / name).write_text("day,%s\n" % name[:2] if name.startswith("d") else name + "\n")
    under_ruffus = run(theirs, kinds(FILE_NAMES), ruffus_luigi=False)
    assert under_ruffus.returncode == 0, under_ruffus.stderr
    done = run(ours, kinds(LUIGI_INPUTS))
    assert done.returncode == 0, done.stderr
    lines = ran(ours)
    luigi_ran = [line for line in lines if line.startswith("Make")]
    assert sorted(luigi_ran) == ["MakeCsv(d1)", "MakeCsv(d2)", "MakeCsv(d3)", "MakeTwo"]  # each once
    assert sorted(set(lines) - set(luigi_ran)) == sorted(ran(theirs))
    for name in ["d1.part0", "d2.0.sub", "extra.0.sub", "collated.txt", "d3.added", "d1.own", "merged.txt",
                 "extra.replaced"]:
        assert (ours / name).read_text() == (theirs / name).read_text(), name
    again = run(ours, kinds(LUIGI_INPUTS))
    assert again.returncode == 0, again.stderr
    assert ran(ours) == []


FAILING = HEADER + '''
@transform(MakeCsv(day="bad"), suffix(".csv"), ".tsv")
def to_tsv(i, o):
    copy(i, o, "to_tsv")


@originate(["fine.txt"])
def fine(o):
    ran("fine")
    open(o, "w").write("fine\\n")


pipeline_run(multiprocess=int(os.environ.get("MP", "1")), verbose=0)
'''

FAILING_JOB = FAILING.replace('@transform(MakeCsv(day="bad"), suffix(".csv"), ".tsv")', '''
@originate(["bad.csv"])
def make(o):
    raise ValueError("no data for bad")


@transform(make, suffix(".csv"), ".tsv")''')


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mp", ["1", "2"])
def test_a_failing_luigi_task_fails_the_run_as_a_failed_upstream_job(tmp_path, mp):
    failed = run(tmp_path, FAILING, env={"MP": mp})
    lines = ran(tmp_path)
    assert "MakeCsv(bad)" in lines
    assert not any(line.startswith("to_tsv") for line in lines)  # its reader ran no job
    assert not (tmp_path / "bad.tsv").exists()
    assert "'builtins.ValueError(no data for bad)' raised in ..." in failed.stderr
    assert "Task = def to_tsv(...):" in failed.stderr
    assert "Luigi task = MakeCsv(day=bad) (an input)" in failed.stderr
    assert 'raise ValueError("no data for " + self.day)' in failed.stderr  # its traceback

    (tmp_path / "job").mkdir()
    job_failed = run(tmp_path / "job", FAILING_JOB, env={"MP": mp})  # a Ruffus job failing upstream instead
    assert "'builtins.ValueError(no data for bad)' raised in ..." in job_failed.stderr
    assert failed.returncode == job_failed.returncode != 0
    assert failed.stderr.splitlines()[-1] == job_failed.stderr.splitlines()[-1]


@pytest.mark.timeout(120)
def test_printout_shows_the_luigi_tasks_files_and_runs_nothing(tmp_path):
    shown = run(tmp_path, CHAIN, "printout")
    assert shown.returncode == 0, shown.stderr
    assert "Task = 'to_tsv'" in shown.stdout
    assert "2026-12-01.csv" in shown.stdout  # the job's input: the Luigi task's file
    assert "       Luigi task MakeCsv(day=2026-12-01) is not complete: it runs first" in shown.stdout.splitlines()
    assert "       Luigi task MakeTwo() is not complete: it runs first" in shown.stdout.splitlines()
    assert ran(tmp_path) == []
    assert not (tmp_path / "2026-12-01.csv").exists()


@pytest.mark.timeout(120)
def test_flowchart_shows_the_luigi_task_as_a_node(tmp_path):
    drawn = run(tmp_path, CHAIN, "graph")
    assert drawn.returncode == 0, drawn.stderr
    dot = drawn.stdout
    nodes = {line.split("[", 1)[0]: line for line in dot.splitlines() if "label=" in line}
    luigi_nodes = {n: line for n, line in nodes.items() if "Luigi: " in line}
    assert sorted(line.split('label="', 1)[1].split('"', 1)[0] for line in luigi_nodes.values()) == [
        "Luigi: MakeCsv(day=2026-12-01)", "Luigi: MakeTwo()"
    ]
    to_tsv = next(n for n, line in nodes.items() if 'label="to_tsv"' in line)
    together = next(n for n, line in nodes.items() if 'label="together"' in line)
    csv = next(n for n, line in luigi_nodes.items() if "MakeCsv" in line)
    two = next(n for n, line in luigi_nodes.items() if "MakeTwo" in line)
    assert "%s -> %s[" % (csv, to_tsv) in dot and "%s -> %s[" % (two, together) in dot
    assert ran(tmp_path) == []


SANDWICH = HEADER + '''
import ruffus_luigi


@originate(["a.txt", "b.txt"])
def first(o):
    ran("first " + o)
    open(o, "w").write(o + "\\n")


class Summarise(luigi.Task):  # a Luigi task between two Ruffus tasks
    def requires(self):
        return ruffus_luigi.luigi_task(first)

    def output(self):
        return luigi.LocalTarget("summary.csv")

    def run(self):
        ran("Summarise")
        with self.output().open("w") as f:
            for target in self.input():
                f.write(open(target.path).read())


@transform(Summarise(), suffix(".csv"), ".final")
def final(i, o):
    copy(i, o, "final")


@transform(ruffus_luigi.luigi_task(first), suffix(".txt"), ".x")  # a generated task: its Ruffus task
def second(i, o):
    copy(i, o, "second")


@merge([MakeCsv(day="shared"), second], "both.txt")  # the same Luigi task as another reader's
def both(i, o):
    copy(i, o, "both")


@transform(MakeCsv(day="shared"), suffix(".csv"), ".again")
def again(i, o):
    copy(i, o, "again")


pipeline_run(sys.argv[1:] or None, multiprocess=2, verbose=0)
'''


@pytest.mark.timeout(240)
@pytest.mark.parametrize("targets", [[], ["final", "both", "again"]])
def test_ruffus_then_luigi_then_ruffus_each_once(tmp_path, targets):
    done = run(tmp_path, SANDWICH, *targets)
    assert done.returncode == 0, done.stderr
    lines = ran(tmp_path)
    assert sorted(lines) == sorted([
        "first a.txt", "first b.txt", "Summarise", 'final "summary.csv"', 'second "a.txt"', 'second "b.txt"',
        "MakeCsv(shared)", 'both ["shared.csv", "a.x", "b.x"]', 'again "shared.csv"',
    ]), lines
    assert lines.index("first b.txt") < lines.index("Summarise") < lines.index('final "summary.csv"')
    assert lines.index("MakeCsv(shared)") < min(lines.index('again "shared.csv"'), len(lines) - 1)
    assert (tmp_path / "summary.final").read_text() == "a.txt\nb.txt\n"
    again = run(tmp_path, SANDWICH, *targets)
    assert again.returncode == 0, again.stderr
    assert ran(tmp_path) == []


TOUCH = HEADER + '''
class Stale(luigi.Task):  # never complete: a run would run it
    def output(self):
        return luigi.LocalTarget("stale.csv")

    def complete(self):
        return False

    def run(self):
        ran("Stale")


@transform(Stale(), suffix(".csv"), ".tsv")
def to_tsv(i, o):
    copy(i, o, "to_tsv")


pipeline_run(multiprocess=2, verbose=0, touch_files_only=True)
'''


@pytest.mark.timeout(120)
def test_touch_files_only_runs_no_luigi_task(tmp_path):
    (tmp_path / "stale.csv").write_text("made before\n")
    touched = run(tmp_path, TOUCH)
    assert touched.returncode == 0, touched.stderr
    assert ran(tmp_path) == []  # neither the Luigi task nor the job ran: the output was touched
    assert (tmp_path / "stale.tsv").read_text() == ""
    assert (tmp_path / "stale.csv").read_text() == "made before\n"


@pytest.mark.timeout(240)
def test_cluster_back_end_runs_the_luigi_task_in_the_driver_s_worker(tmp_path):
    """The example back end runs each job as a cluster's would; the Luigi task stays with Luigi's worker."""
    done = run(tmp_path, CHAIN, env={"MP": "2", "RUFFUS_LUIGI_BACKEND": "example"})
    assert done.returncode == 0, done.stderr
    lines = ran(tmp_path)
    assert sorted(lines) == sorted([
        "MakeCsv(2026-12-01)",
        'to_tsv "2026-12-01.csv" (a cluster job)',
        'upper "2026-12-01.tsv" (a cluster job)',
        "MakeTwo",
        'together ["2026-12-01.upper", "two_b.csv", "two_a.csv"] (a cluster job)',
    ]), lines
    assert (tmp_path / "all.txt").read_text() == "day,2026-12-01\ntwo_b.csv\ntwo_a.csv\n"


FOLLOWS = HEADER + '''
class Prepare(luigi.Task):  # makes nothing a Ruffus task reads
    def output(self):
        return luigi.LocalTarget("prepared.flag")

    def run(self):
        ran("Prepare")
        open("prepared.flag", "w").close()


@follows(Prepare)  # a class, or an instance below
@originate(["a.txt"])
def start(o):
    ran("start " + o)
    open(o, "w").write("a\\n")


@follows(start, MakeCsv(day="2026-12-01"))
@transform(start, suffix(".txt"), ".up")
def up(i, o):
    copy(i, o, "up")


pipeline_run(multiprocess=2, verbose=0)
'''


@pytest.mark.timeout(240)
@pytest.mark.parametrize("given", ["Prepare", "Prepare()"])
def test_follows_a_luigi_task(tmp_path, given):
    script = FOLLOWS.replace("@follows(Prepare)", "@follows(%s)" % given)
    done = run(tmp_path, script)
    assert done.returncode == 0, done.stderr
    lines = ran(tmp_path)
    assert sorted(lines) == sorted(["Prepare", "start a.txt", "MakeCsv(2026-12-01)", 'up "a.txt"']), lines
    assert lines.index("Prepare") < lines.index("start a.txt") < lines.index('up "a.txt"')
    assert lines.index("MakeCsv(2026-12-01)") < lines.index('up "a.txt"')
    again = run(tmp_path, script)
    assert again.returncode == 0, again.stderr
    assert ran(tmp_path) == []
    (tmp_path / "prepared.flag").unlink()  # not complete: it runs again; what follows it is judged by Ruffus
    third = run(tmp_path, script)
    assert third.returncode == 0, third.stderr
    assert ran(tmp_path) == ["Prepare"]  # (a.txt and a.up are up to date)
