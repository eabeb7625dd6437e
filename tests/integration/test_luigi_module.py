"""`luigi --module SCRIPT TASK` on unchanged Ruffus scripts, with the real `luigi` command (docs/luigi.md).

Each script appends a line per job run to `ran.log`, so a test sees which jobs ran, and how
often: the script's own `pipeline_run` at its bottom must not run at import.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LUIGI = str(Path(sys.executable).with_name("luigi"))

TASKS = '''
import os
from ruffus import *


def ran(name):
    with open("ran.log", "a") as f:
        f.write("%s %d\\n" % (name, os.getpid()))


@originate(["a.txt", "b.txt"])
def start(output_file):
    ran(output_file)
    with open(output_file, "w") as f:
        f.write(os.path.basename(output_file)[0])


@transform(start, suffix(".txt"), ".up")
def shout(input_file, output_file):
    ran(output_file)
    if os.path.exists("FAIL") and input_file == "b.txt":
        raise ValueError("b is bad")
    with open(input_file) as i, open(output_file, "w") as o:
        o.write(i.read().upper())


@merge(shout, "all.txt")
def final_merge(inputs, output):
    ran(output)
    with open(output, "w") as o:
        o.write("".join(open(i).read() for i in inputs))
'''

SCRIPTS = {
    # the usual ending: a pipeline_run at module level, run at import under plain Python
    "plain_run": TASKS + "\npipeline_run([final_merge], multiprocess=2, verbose=3)\nprint('after pipeline_run')\n",
    # ruffus.cmdline: its parser would reject Luigi's arguments
    "with_cmdline": "from ruffus import cmdline\n"
    "parser = cmdline.get_argparse(description='test')\n"
    "parser.add_argument('--shout', action='store_true')\n"
    "options = parser.parse_args()\n"
    + TASKS + "\ncmdline.run(options)\n",
    "guarded": TASKS + "\nif __name__ == '__main__':\n    pipeline_run([final_merge])\n",
}


def env() -> dict[str, str]:
    shim = str(REPO / "ruffus_luigi" / "shim")
    return dict(
        os.environ,
        # the shim first, then the scripts' directory: `luigi` does not look there by itself
        PYTHONPATH=os.pathsep.join([shim, str(REPO), ".", os.environ.get("PYTHONPATH", "")]),
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
    )


def write(tmp_path: Path, name: str) -> None:
    (tmp_path / (name + ".py")).write_text(SCRIPTS[name])


def luigi(tmp_path: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LUIGI, *args], cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def ran(tmp_path: Path) -> list[str]:
    log = tmp_path / "ran.log"
    return sorted(line.split()[0] for line in log.read_text().splitlines()) if log.exists() else []


def ruffus_lines(text: str) -> list[str]:
    """Ruffus' own messages (Luigi's log lines start with a level name)."""
    return [line for line in text.splitlines() if re.match(r"\s*(Task|Job|Completed|Tasks which|Job  =)", line)]


def summary(text: str) -> str:
    parts = text.split("===== Luigi Execution Summary =====")
    assert len(parts) == 3, text
    return parts[1]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_luigi_module_runs_what_pipeline_run_runs(tmp_path, script):
    write(tmp_path, script)
    done = luigi(tmp_path, "--module", script, script + ".final_merge", "--local-scheduler")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.txt").read_text() == "AB"
    assert ran(tmp_path) == ["a.txt", "a.up", "all.txt", "b.txt", "b.up"]  # each job once: none at import
    assert "TaskClassNotFoundException" not in done.stderr
    text = summary(done.stderr)
    assert "chunk=" not in text and "run_id=" not in text, text
    assert "* 1 ran successfully:\n    - 1 %s.final_merge\n" % script in text
    assert "'%s.shout': 2 of 2 jobs done, 0 failed, 0 not run (finished)" % script in text

    # the same as the script run by Python (the shim first on the path), in a fresh copy
    alone = tmp_path / "alone"
    alone.mkdir()
    write(alone, script)
    # (imported, as Luigi imports it: Ruffus names its tasks module.task then)
    code = "import %s" % script
    if script == "guarded":
        code += "; from ruffus import pipeline_run; pipeline_run([guarded.final_merge])"
    by_python = subprocess.run([sys.executable, "-c", code], cwd=alone, env=env(), capture_output=True, text=True, timeout=120)
    assert by_python.returncode == 0, by_python.stderr
    assert sorted(ruffus_lines(done.stderr)) == sorted(ruffus_lines(by_python.stderr))  # (jobs in parallel)
    assert ruffus_lines(done.stderr) or script == "with_cmdline", done.stderr  # (its default: verbose 0)
    assert sorted(p.name for p in alone.iterdir() if p.name != "__pycache__") == sorted(
        p.name for p in tmp_path.iterdir() if p.name not in ("alone", "__pycache__")
    )

    # a second run, by the short name: nothing to do, Luigi finds the task complete
    made = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.up")}
    again = luigi(tmp_path, "--module", script, "final_merge", "--local-scheduler")
    assert again.returncode == 0, again.stderr
    assert ran(tmp_path) == ["a.txt", "a.up", "all.txt", "b.txt", "b.up"]
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.up")} == made
    assert "* 1 complete ones were encountered:\n    - 1 final_merge\n" in summary(again.stderr)
    assert not ruffus_lines(again.stderr)


@pytest.mark.timeout(300)
def test_a_failing_job_fails_the_luigi_task_and_the_next_run_does_the_rest(tmp_path):
    write(tmp_path, "with_cmdline")
    (tmp_path / "FAIL").write_text("")
    done = luigi(tmp_path, "--module", "with_cmdline", "shout", "--local-scheduler", "--workers", "2",
                 "--retcode-task-failed", "3")
    assert done.returncode == 3, done.stderr
    assert "ValueError(b is bad)" in done.stderr  # Ruffus' RethrownJobError, in Luigi's failure log
    text = summary(done.stderr)
    assert "* 1 failed:\n    - 1 shout\n" in text
    assert "'with_cmdline.shout': 1 of 2 jobs done, 1 failed, 0 not run (not finished)" in text
    assert (tmp_path / "a.up").read_text() == "A" and not (tmp_path / "b.up").exists()

    (tmp_path / "FAIL").unlink()
    (tmp_path / "ran.log").unlink()
    again = luigi(tmp_path, "--module", "with_cmdline", "shout", "--local-scheduler", "--retcode-task-failed", "3")
    assert again.returncode == 0, again.stderr
    assert ran(tmp_path) == ["b.up"]  # only what is left
    assert (tmp_path / "b.up").read_text() == "B"


@pytest.mark.timeout(300)
def test_luigi_module_against_luigid(tmp_path, luigid):
    write(tmp_path, "plain_run")
    where = ["--scheduler-host", "127.0.0.1", "--scheduler-port", str(luigid.port)]
    done = luigi(tmp_path, "--module", "plain_run", "final_merge", *where)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.txt").read_text() == "AB"
    assert ran(tmp_path) == ["a.txt", "a.up", "all.txt", "b.txt", "b.up"]
    names = {t["name"] for t in luigid.api("task_list", {"status": "DONE", "upstream_status": ""}).values()}
    assert {"final_merge", "plain_run.final_merge", "plain_run.shout", "plain_run.start"} <= names
    assert "'plain_run.final_merge': 1 of 1 jobs done" in summary(done.stderr)
    again = luigi(tmp_path, "--module", "plain_run", "final_merge", *where)
    assert again.returncode == 0, again.stderr
    assert ran(tmp_path) == ["a.txt", "a.up", "all.txt", "b.txt", "b.up"]
    assert "complete ones were encountered" in summary(again.stderr)


BOTH = '''
import luigi
import ruffus_luigi
import first
import second


class Report(luigi.Task):
    def requires(self):
        return [ruffus_luigi.luigi_task(first.shout), ruffus_luigi.luigi_task(second.shout)]

    def output(self):
        return luigi.LocalTarget("report.txt")

    def run(self):
        with self.output().open("w") as f:
            f.write(" ".join(t.path for ts in self.input() for t in ts))
'''


@pytest.mark.timeout(300)
def test_two_scripts_with_the_same_task_names(tmp_path):
    """Full names stay apart; the short name is ambiguous (Luigi says so); a Luigi task requiring both."""
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / (name + ".py")).write_text(
            SCRIPTS["plain_run"].replace('"a.txt", "b.txt"', '"%s/a.txt", "%s/b.txt"' % (name, name))
            .replace('"all.txt"', '"%s/all.txt"' % name).replace('"ran.log"', '"%s/ran.log"' % name)
            .replace('input_file == "b.txt"', 'input_file.endswith("b.txt")')
        )
    (tmp_path / "both.py").write_text(BOTH)
    short = luigi(tmp_path, "--module", "both", "final_merge", "--local-scheduler")
    assert short.returncode != 0
    assert "ambiguous" in short.stderr.lower(), short.stderr
    assert not (tmp_path / "first" / "ran.log").exists() and not (tmp_path / "second" / "ran.log").exists()

    full = luigi(tmp_path, "--module", "both", "second.final_merge", "--local-scheduler")
    assert full.returncode == 0, full.stderr
    assert (tmp_path / "second" / "all.txt").read_text() == "AB"
    assert not (tmp_path / "first" / "ran.log").exists()

    report = luigi(tmp_path, "--module", "both", "Report", "--local-scheduler")
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report.txt").read_text() == "first/a.up first/b.up second/a.up second/b.up"
    assert ran(tmp_path / "first") == ["first/a.txt", "first/a.up", "first/b.txt", "first/b.up"]
    text = summary(report.stderr)
    assert "chunk=" not in text and "run_id=" not in text, text
    assert "'first.shout': 2 of 2 jobs done, 0 failed, 0 not run (finished)" in text
    assert "    - 1 Report()" in text


@pytest.mark.timeout(120)
def test_pipeline_run_of_an_imported_script_still_runs_outside_luigis_import(tmp_path):
    """Only the import by the luigi command is deferred: a Luigi task calling pipeline_run runs it."""
    write(tmp_path, "guarded")
    (tmp_path / "caller.py").write_text(
        "import luigi\nimport ruffus\nimport guarded\n\n\n"
        "class Caller(luigi.Task):\n"
        "    def complete(self):\n        return False\n\n"
        "    def run(self):\n        ruffus.pipeline_run([guarded.shout], verbose=0)\n"
    )
    done = luigi(tmp_path, "--module", "caller", "Caller", "--local-scheduler")
    assert done.returncode == 0, done.stderr
    assert ran(tmp_path) == ["a.txt", "a.up", "b.txt", "b.up"]
    shutil.rmtree(tmp_path / "__pycache__", ignore_errors=True)


BUILD = '''
import luigi
import ruffus_luigi
import guarded


class Report(luigi.Task):
    def requires(self):
        return ruffus_luigi.luigi_task(guarded.shout)

    def output(self):
        return luigi.LocalTarget("report.txt")

    def run(self):
        with self.output().open("w") as f:
            f.write(" ".join(t.path for t in self.input()))


assert luigi.build([Report()], local_scheduler=True, workers=2,
                   worker_scheduler_factory=ruffus_luigi.worker_scheduler_factory())
'''


@pytest.mark.timeout(120)
def test_summary_of_a_hand_written_build_names_ruffus_tasks_and_jobs(tmp_path):
    """luigi.build of a task requiring luigi_task(...): Luigi's summary without internal parameters."""
    write(tmp_path, "guarded")
    (tmp_path / "build.py").write_text(BUILD)
    done = subprocess.run([sys.executable, "build.py"], cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.txt").read_text() == "a.up b.up"
    text = summary(done.stderr)
    assert "chunk=" not in text and "run_id=" not in text, text
    assert "    - 3 guarded.shout\n        'guarded.shout': 2 of 2 jobs done, 0 failed, 0 not run (finished)\n" in text
    assert "    - 3 guarded.start\n        'guarded.start': 2 of 2 jobs done, 0 failed, 0 not run (finished)\n" in text
    assert "    - 1 Report()\n" in text
