"""ruffus.cmdline: the same parsing, verbosity handling and --just_print text as Ruffus 3.0.0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

ARGVS = [
    [], ["-v"], ["-v", "-v"], ["--verbose", "5"], ["-v", "3:-2"], ["-v", "2", "-v"], ["-vv"],
    ["-j", "4"], ["--jobs", "2", "--use_threads"], ["-n"], ["--just_print", "-v", "6"],
    ["-T", "a"], ["-T", "a", "-T", "b"], ["--target_tasks", "x", "--forced_tasks", "y"],
    ["--touch_files_only"], ["--recreate_database"], ["--checksum_file_name", "h.sqlite"],
    ["--flowchart", "f.svg"], ["--flowchart", "f", "--flowchart_format", "png"],
    ["--key_legend_in_graph", "--draw_graph_horizontally"], ["-L", "log.txt"],
    ["--log_file", "x.log", "-v", "1"], ["--forced_tasks", "a", "--forced_tasks", "b"],
    ["-j", "1", "-n", "-T", "final"], ["--verbose", "10:3"],
]

PARSE = """
import json, sys
from ruffus import cmdline
parser = cmdline.get_argparse(description="test")
options = parser.parse_args(json.loads(sys.argv[1]))
raw = dict(vars(options))
cmdline.handle_verbose(options)
print(json.dumps([raw, vars(options)]))
"""


def parse(impl: str, argv: list[str]) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    done = subprocess.run([sys.executable, "-c", PARSE, json.dumps(argv)], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode:  # the error the user sees
        return [{"error": done.stderr.strip().splitlines()[-1]}]
    docs = json.loads(done.stdout)
    for d in docs:
        for ours in ("scheduler_host", "scheduler_port", "jobs_per_luigi_task"):
            d.pop(ours, None)
    return docs


@pytest.mark.parametrize("argv", ARGVS, ids=lambda a: " ".join(a) or "none")
def test_get_argparse_and_handle_verbose_as_ruffus(argv):
    assert parse("ruffus_luigi", argv) == parse("ruffus", argv)


def test_ruffus_luigi_options_are_added():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)]))
    code = PARSE.replace('print(json.dumps([raw, vars(options)]))', 'print(json.dumps(raw))')
    argv = ["--scheduler-host", "127.0.0.1", "--scheduler-port", "9000", "--jobs-per-luigi-task", "7"]
    done = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], env=env, capture_output=True, text=True, timeout=60)
    got = json.loads(done.stdout)
    assert (got["scheduler_host"], got["scheduler_port"], got["jobs_per_luigi_task"]) == ("127.0.0.1", 9000, 7)


SCRIPT = """
from ruffus import *
parser = cmdline.get_argparse(description="demo")
options = parser.parse_args()

@originate(["a.1", "b.1"])
def make(o):
    open(o, "w").write(o)

@transform(make, suffix(".1"), ".2")
def step(i, o):
    open(o, "w").write(open(i).read() + "!")

cmdline.run(options)
"""


@pytest.mark.parametrize("argv", [["-n", "-v", "3"], ["-n", "-v", "5"], ["-v", "2"], ["--flowchart", "flow.dot"]])
def test_script_using_cmdline_run_behaves_as_under_ruffus(tmp_path, argv):
    results = []
    for impl in ("ruffus", "ruffus_luigi"):
        work = tmp_path / impl
        work.mkdir()
        (work / "demo.py").write_text(SCRIPT)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if impl == "ruffus_luigi":
            env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
        done = subprocess.run([sys.executable, "demo.py", *argv], cwd=work, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        made = {p.name: p.read_text() for p in sorted(work.iterdir()) if p.suffix in (".1", ".2", ".dot")}
        results.append((done.stdout, done.stderr, made))
    assert results[1] == results[0]
