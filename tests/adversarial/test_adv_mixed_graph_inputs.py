"""Bad hand-written Luigi tasks given as a Ruffus task's input (docs/luigi.md, "Luigi tasks as inputs").

Each is refused before any job runs with one message naming the Luigi task, the Ruffus task
and the decorator's parameter (as Ruffus names a bad argument), or, when it only shows once
Luigi ran it, ends the run as a failed upstream job does; no file is lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

HELD = pytest.mark.held("mixed graphs: Luigi inputs", "bad input")

SCRIPT = '''
import sys

import luigi
import luigi.mock
from ruffus import *


def ran(what):
    with open("ran.log", "a") as f:
        f.write(what + "\\n")


class InMemory(luigi.Task):
    def output(self):
        return [luigi.LocalTarget("kept.csv"), luigi.mock.MockTarget("memory.csv")]


class Dated(luigi.Task):
    day = luigi.Parameter()

    def output(self):
        return luigi.LocalTarget("%s.csv" % self.day)


class Broken(luigi.Task):
    def output(self):
        raise KeyError("no such bucket")


class Outside(luigi.ExternalTask):
    def output(self):
        return luigi.LocalTarget("outside.csv")


class Forgetful(luigi.Task):  # runs, but never writes its output
    def output(self):
        return luigi.LocalTarget("forgotten.csv")

    def run(self):
        ran("Forgetful")


class Unsure(luigi.Task):
    def output(self):
        return luigi.LocalTarget("kept.csv")

    def complete(self):
        raise OSError("cannot tell")


def work(i, o):
    ran("work")
    open(o, "w").write("made\\n")


case = sys.argv[1]
if case == "not_local":
    transform(InMemory(), suffix(".csv"), ".tsv")(work)
elif case == "not_local_added":
    transform(["kept.csv"], suffix(".csv"), add_inputs(InMemory()), ".tsv")(work)
elif case == "class_needs_parameters":
    merge(Dated, "out.txt")(work)
elif case == "follows_class_needs_parameters":
    follows(Dated)(originate(["out.txt"])(work))
elif case == "in_output_from":
    merge(output_from(Dated(day="d1")), "out.txt")(work)
elif case == "output_raises":
    merge(["kept.csv", Broken()], "out.txt")(work)
elif case == "external_missing":
    merge(Outside(), "out.txt")(work)
elif case == "run_writes_nothing":
    transform(Forgetful(), suffix(".csv"), ".tsv")(work)
elif case == "complete_raises":
    merge(Unsure(), "out.txt")(work)
if sys.argv[2:] == ["printout"]:
    pipeline_printout(sys.stdout, verbose=3)
else:
    pipeline_run(multiprocess=2, verbose=0)
'''


def run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    (workdir / "script.py").write_text(SCRIPT)
    (workdir / "kept.csv").write_text("precious\n")
    (workdir / "out.txt").write_text("earlier output\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run(
        [str(BIN / "ruffus-luigi"), "run", "script.py", *args], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=120,
    )


def nothing_lost(workdir: Path) -> None:
    assert not (workdir / "ran.log").exists()  # no job, no Luigi task ran
    assert (workdir / "kept.csv").read_text() == "precious\n"
    assert (workdir / "out.txt").read_text() == "earlier output\n"
    assert not (workdir / "kept.tsv").exists()


REFUSED = {
    "not_local": (
        "Luigi task InMemory(), given to Ruffus task 'work', has an output that is not a luigi.LocalTarget: "
        "MockTarget('memory.csv'). A Ruffus task reads local files: only LocalTargets can be its input.",
        "@transform(input =InMemory())",
    ),
    "not_local_added": (
        "Luigi task InMemory(), given to Ruffus task 'work', has an output that is not a luigi.LocalTarget: "
        "MockTarget('memory.csv')",
        "@transform(add_inputs = add_inputs(InMemory()))",
    ),
    "class_needs_parameters": (
        "Luigi task Dated, given to Ruffus task 'work', is a class that needs parameters "
        "(Dated[args=(), kwargs={}]: requires the 'day' parameter to be set): give an instance, "
        "Dated(name=value, ...).",
        "@merge(input =<class '__main__.Dated'>)",
    ),
    "follows_class_needs_parameters": (
        "Luigi task Dated, given to Ruffus task 'work', is a class that needs parameters "
        "(Dated[args=(), kwargs={}]: requires the 'day' parameter to be set): give an instance, "
        "Dated(name=value, ...).",
        "@follows(<class '__main__.Dated'>)",
    ),
    "in_output_from": (
        "Luigi task Dated(day=d1), given to Ruffus task 'work', is inside output_from(): give the Luigi "
        "task itself as the input.",
        "@merge(input =Dated(day=d1))",
    ),
    "output_raises": (
        "Luigi task Broken(), given to Ruffus task 'work', raised KeyError: 'no such bucket' from output().",
        "@merge(input =Broken())",
    ),
}


@HELD
@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", sorted(REFUSED))
@pytest.mark.parametrize("how", ["run", "printout"])
def test_bad_luigi_input_is_refused_before_anything_runs(tmp_path, case, how):
    done = run(tmp_path, case, *(["printout"] if how == "printout" else []))
    assert done.returncode != 0
    message, parameter = REFUSED[case]
    last = done.stderr.rstrip().splitlines()[-1]
    assert "error_decorator_args" in done.stderr
    assert message in done.stderr, done.stderr
    assert parameter in done.stderr  # the decorator's argument, as Ruffus shows a bad one
    assert "def work(...):" in done.stderr, last
    nothing_lost(tmp_path)


@HELD
@pytest.mark.timeout(120)
def test_external_task_without_its_file_fails_the_run_naming_it(tmp_path):
    done = run(tmp_path, "external_missing")
    assert done.returncode == 1
    assert "Luigi task = Outside() (an input)" in done.stderr
    assert "'ruffus_luigi.LuigiError(Luigi task Outside() is not complete: Luigi could not run it" in done.stderr
    assert "Task = def work(...):" in done.stderr
    nothing_lost(tmp_path)


@HELD
@pytest.mark.timeout(120)
def test_luigi_task_that_writes_nothing_stops_its_readers(tmp_path):
    done = run(tmp_path, "run_writes_nothing")
    assert done.returncode == 1
    assert (tmp_path / "ran.log").read_text() == "Forgetful\n"  # it ran; 'work' did not
    assert "Luigi task = Forgetful() (an input)" in done.stderr
    assert not (tmp_path / "forgotten.tsv").exists()


@HELD
@pytest.mark.timeout(120)
def test_luigi_task_whose_complete_raises_fails_as_job_parameters_do(tmp_path):
    done = run(tmp_path, "complete_raises")
    assert done.returncode == 1
    assert "Exceptions generating parameters" in done.stderr and "def work(...):" in done.stderr
    assert "OSError(cannot tell)" in done.stderr
    nothing_lost(tmp_path)


ODD_NAMES = '''
import json

import luigi
from ruffus import *


def ran(what):
    with open("ran.log", "a") as f:
        f.write(what + "\\n")


class Odd(luigi.Task):
    def output(self):
        return [luigi.LocalTarget("report[2026].csv"), luigi.LocalTarget("all*.csv"), luigi.LocalTarget("what?.csv")]

    def run(self):
        ran("Odd")
        for target in self.output():
            with open(target.path, "w") as f:  # (LocalTarget.open would warn of wildcards)
                f.write("made by Odd as %s\\n" % target.path)


@transform(Odd(), formatter(r"(?P<stem>[a-z]+)[^/]*[.]csv$"), "{stem[0]}.tsv")  # (outputs named plainly:
def each(i, o):                                                           # Ruffus globs outputs too)
    ran("each " + json.dumps(i))
    open(o, "w").write(open(i).read())


@merge(Odd, "merged.txt")
def merged(i, o):
    ran("merged " + json.dumps(i))
    open(o, "w").write("".join(open(name).read() for name in i))


pipeline_run(multiprocess=2, verbose=0)
'''


@pytest.mark.held("mixed graphs: Luigi inputs", "adversarial")
@pytest.mark.timeout(120)
def test_luigi_outputs_named_like_globs_are_read_as_those_files_only(tmp_path):
    """A Luigi task's output path is one file: ``report[2026].csv`` never reads ``report2.csv``."""
    decoys = {"report2.csv": "decoy\n", "all_other.csv": "decoy\n", "whatX.csv": "decoy\n"}
    for name, text in decoys.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "script.py").write_text(ODD_NAMES)
    env = dict(os.environ, PYTHONPATH=str(REPO), PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))

    def run_it() -> list[str]:
        done = subprocess.run([str(BIN / "ruffus-luigi"), "run", "script.py"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=100)
        assert done.returncode == 0, done.stderr
        log = tmp_path / "ran.log"
        lines = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return lines

    lines = run_it()
    assert sorted(lines) == sorted([
        "Odd", 'each "all*.csv"', 'each "report[2026].csv"', 'each "what?.csv"',
        'merged ["report[2026].csv", "all*.csv", "what?.csv"]',
    ]), lines
    for stem, name in [("report", "report[2026]"), ("all", "all*"), ("what", "what?")]:
        assert (tmp_path / (stem + ".tsv")).read_text() == "made by Odd as %s.csv\n" % name
    assert (tmp_path / "merged.txt").read_text() == "".join(
        "made by Odd as %s\n" % n for n in ["report[2026].csv", "all*.csv", "what?.csv"])
    assert all((tmp_path / name).read_text() == text for name, text in decoys.items())
    assert run_it() == []  # up to date: the decoys (older or newer) play no part
    for name in decoys:
        os.utime(tmp_path / name)
    assert run_it() == []
