"""``ruffus.cmdline`` under ruffus-luigi against Ruffus 3.0.0, differentially.

Scripts and their users depend on Ruffus' option names, dests, defaults, help and
error texts, and on what ``cmdline.run`` hands to pipeline_run/printout/printout_graph,
so every case runs the same code under real Ruffus (default sys.path) and under the
``ruffus`` alias (PYTHONPATH=ruffus_luigi/shim), each in a fresh interpreter, and
compares. ruffus-luigi's own options (--scheduler-host, --scheduler-port,
--jobs-per-luigi-task) are dropped from namespaces, or left out with ``ignored_args``
where help and usage texts are compared.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = ["scheduler_host", "scheduler_port", "jobs_per_luigi_task", "backend", "checkpoint"]
IMPLS = ("ruffus", "ruffus_luigi")


def env_for(impl: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("RUFFUS_LUIGI_")}
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    return env


def python(impl: str, args: list[str], cwd: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd or REPO, env=env_for(impl), capture_output=True, text=True, timeout=timeout
    )


def batch(impl: str, code: str, cases: list) -> list:
    """Run all ``cases`` through ``code`` in one interpreter; one JSON result per case."""
    done = python(impl, ["-c", code, json.dumps(cases)])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


# Runs each case; prints a JSON list of results. A case is [kwargs, argv_list, hide_ours];
# several argv lists parse with one parser (optparse accumulates --verbose across them).
DRIVER = r"""
import contextlib, io, json, sys
import ruffus
from ruffus import cmdline
OURS = ["scheduler_host", "scheduler_port", "jobs_per_luigi_task", "backend", "checkpoint"]
IS_OURS = "ruffus_luigi" in cmdline.__name__


def result_of(kwargs, argvs, hide):
    kwargs = dict(kwargs, prog="prog")
    if hide and IS_OURS:
        ignored = kwargs.get("ignored_args", [])
        if isinstance(ignored, str):
            ignored = [ignored]
        if isinstance(ignored, list):
            kwargs["ignored_args"] = ignored + OURS
    out, err = io.StringIO(), io.StringIO()
    res = {}
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            parser = getattr(cmdline, MAKE)(**kwargs)
        except Exception as e:
            parser = None
            res["construct_error"] = "%s: %s" % (type(e).__name__, e)
        if parser is None:
            res["parser"] = None
        else:
            res["parses"] = []
            for argv in argvs:
                one = {}
                try:
                    parsed = parser.parse_args(argv)
                    options = parsed[0] if isinstance(parsed, tuple) else parsed
                    if isinstance(parsed, tuple):
                        one["remaining"] = parsed[1]
                    one["raw"] = dict(vars(options))
                    try:
                        cmdline.handle_verbose(options)
                        one["handled"] = dict(vars(options))
                    except Exception as e:
                        one["handle_verbose_error"] = "%s: %s" % (type(e).__name__, e)
                    for d in (one["raw"], one.get("handled", {})):
                        for k in OURS:
                            d.pop(k, None)
                except SystemExit as e:
                    one["exit"] = e.code
                res["parses"].append(one)
    res["stdout"], res["stderr"] = out.getvalue(), err.getvalue()
    return res


print(json.dumps([result_of(*case) for case in json.loads(sys.argv[1])], default=repr))
"""

ARGPARSE_ARGVS = [
    [], ["-v"], ["-v", "-v"], ["--verbose", "5"], ["-v", "3:-2"], ["-v", "2", "-v"], ["-vv"], ["-v5"],
    ["--verbose=5:3", "--verbose"], ["--verbose", "--verbose=3", "--verbose"], ["-v", "+"], ["-v", "-n"],
    ["-v", "x"], ["--verbose", "10:3"], ["--verbose", "7:-5", "-v", "2"],
    ["-j", "4"], ["-j4", "--use_threads"], ["--jobs=2"], ["--job", "3"], ["--jo=3"], ["-j", "x"], ["-j"],
    ["-j", "-1"], ["--jobs", "2", "--use_threads"],
    ["-n"], ["--just_print", "-v", "6"], ["--just"], ["-j", "1", "-n", "-T", "final"],
    ["-T", "a"], ["-T", "a", "-T", "b"], ["-Ta", "--target_tasks=b"], ["-T", "a,b"],
    ["--target_tasks", "x", "--forced_tasks", "y"], ["--forced_tasks", "a", "--forced_tasks", "b"],
    ["--touch_files_only"], ["--recreate_database"], ["--checksum_file_name", "h.sqlite"],
    ["--use_threads", "-j", "3", "--touch_files_only", "--recreate_database"],
    ["--flowchart", "f.svg"], ["--flowchart", "f", "--flowchart_format", "png"],
    ["--flowchart=flow.dot", "--flowchart_format=dot", "-T", "t"], ["--flowchart_format", "gif"],
    ["--flow", "x"], ["--key_legend_in_graph", "--draw_graph_horizontally"],
    ["-L", "log.txt"], ["--log_file", "x.log", "-v", "1"], ["-Lx.log"],
    ["positional"], ["--unknown"], ["--j", "2"], ["-h"], ["--help"], ["--version"],
]
ARGPARSE_CASES = [[{"description": "d"}, [argv], False] for argv in ARGPARSE_ARGVS] + [
    [{"description": "d", "version": "%(prog)s 2.5"}, [["--version"]], False],
    [{"ignored_args": ["verbose", "jobs"]}, [[], ["-v"], ["-j", "2"], ["--help"]], False],
    [{"ignored_args": "flowchart"}, [["--help"], ["--flowchart", "x"]], False],
    [{"ignored_args": 5}, [[]], False],
    [{"ignored_args": ["version"]}, [["--version"]], False],
    [{"ignored_args": ["checksum_file_name", "draw_graph_horizontally", "flowchart_format", "forced_tasks",
                       "log_file", "target_tasks", "use_threads", "just_print", "touch_files_only",
                       "recreate_database", "flowchart", "key_legend_in_graph"]}, [[], ["--help"]], False],
    [{"usage": "%(prog)s [opts]", "epilog": "E"}, [["--help"], ["-q"]], False],
    [{"add_help": False}, [["-h"]], False],
    [{}, [["-v"], ["-v"]], False],  # argparse copies the default list: no accumulation
]

OPTPARSE_ARGVS = [
    [], ["-v"], ["-v", "-v", "3"], ["--verbose=2", "--verbose"], ["-v5:3"], ["-v", "-n"], ["-v", "x"],
    ["--verbose", "--verbose=5:3", "--verbose", "--verbose=7", "--verbose"],
    ["-t", "a", "-t", "b", "rest"], ["-ta", "--target_tasks=b"], ["-T", "a"], ["-j", "3", "--use_threads"],
    ["-j", "x"], ["--job", "2"], ["--j", "2"], ["-n", "-L", "l.log", "--checksum_file_name", "c"],
    ["--flowchart", "f.dot", "--flowchart_format", "dot", "--draw_graph_horizontally", "--key_legend_in_graph"],
    ["--flowchart_format", "gif"], ["--touch_files_only", "--recreate_database"], ["--forced_tasks", "a"],
    ["-h"], ["--help"], ["--version"], ["--unknown"],
]
OPTPARSE_CASES = [[{"usage": "u"}, [argv], False] for argv in OPTPARSE_ARGVS] + [
    [{"usage": "u", "version": "%prog 1.5"}, [["--version"]], False],
    [{"ignored_args": ["forced_tasks"]}, [[]], False],  # Ruffus returns None here
    [{"ignored_args": ["flowchart_format"]}, [["--draw_graph_horizontally"]], False],
    [{"ignored_args": "verbose"}, [["-v"], []], False],
    [{"ignored_args": 5}, [[]], False],
    [{}, [["-v"], ["-v", "-v"], ["--verbose=4:2"], []], False],  # one parser: --verbose accumulates
]


def compare(cases: list, make: str) -> tuple[list, list, list]:
    code = DRIVER.replace("MAKE", repr(make))
    hidden = [[kw, argvs, True] for kw, argvs, _ in cases]
    return batch("ruffus", code, cases), batch("ruffus_luigi", code, cases), batch("ruffus_luigi", code, hidden)


@pytest.fixture(scope="module")
def argparse_results():
    return compare(ARGPARSE_CASES, "get_argparse")


@pytest.fixture(scope="module")
def optparse_results():
    return compare(OPTPARSE_CASES, "get_optparse")


def check(results: tuple[list, list, list], i: int) -> None:
    theirs, ours, ours_hidden = (r[i] for r in results)
    # with our options left out (ignored_args) everything is Ruffus': help, usage, errors
    assert ours_hidden == theirs
    # with them: the same namespaces and exits; error messages differ only in usage lines
    assert ours.get("parses") == theirs.get("parses")
    assert ours.get("construct_error") == theirs.get("construct_error")
    assert ours["stderr"].splitlines()[-1:] == theirs["stderr"].splitlines()[-1:]


def case_id(case: list) -> str:
    kw = {k: v for k, v in case[0].items() if k not in ("description", "usage")}
    return (json.dumps(kw) if kw else "") + " | ".join(" ".join(a) or "none" for a in case[1])


@pytest.mark.parametrize("i", range(len(ARGPARSE_CASES)), ids=[case_id(c) for c in ARGPARSE_CASES])
def test_get_argparse_as_ruffus(argparse_results, i):
    check(argparse_results, i)


@pytest.mark.parametrize("i", range(len(OPTPARSE_CASES)), ids=[case_id(c) for c in OPTPARSE_CASES])
def test_get_optparse_as_ruffus(optparse_results, i):
    check(optparse_results, i)


def test_help_lists_ruffus_luigi_options_in_their_own_group(argparse_results):
    ours = argparse_results[1][ARGPARSE_ARGVS.index(["--help"])]["stdout"]
    group = ours[ours.index("ruffus-luigi arguments:"):]
    assert "--scheduler-host HOST" in group and "--scheduler-port PORT" in group
    assert "--jobs-per-luigi-task N" in group
    assert "--backend NAME" in group and "--checkpoint NAME[,NAME...]" in group
    assert "--scheduler-host" not in argparse_results[0][ARGPARSE_ARGVS.index(["--help"])]["stdout"]


# --------------------------------------------------------------------------- ours only, in process

def test_ruffus_luigi_options_parse_with_both_parsers():
    from ruffus_luigi import cmdline

    argv = ["--scheduler-host", "127.0.0.1", "--scheduler-port", "9000", "--jobs-per-luigi-task", "7",
            "--backend", "slurm", "--checkpoint", "atomic,zero-intermediates", "--jobs", "2"]
    expected = ["127.0.0.1", 9000, 7, "slurm", "atomic,zero-intermediates", 2]
    got = vars(cmdline.get_argparse().parse_args(argv))
    assert [got[k] for k in [*OURS, "jobs"]] == expected
    got = vars(cmdline.get_optparse().parse_args(argv)[0])
    assert [got[k] for k in [*OURS, "jobs"]] == expected
    defaults = vars(cmdline.get_argparse().parse_args([]))
    assert [defaults[k] for k in OURS] == [None, 8082, None, None, None]
    # an abbreviation only our options match still selects them
    assert cmdline.get_argparse().parse_args(["--jobs-per", "3"]).jobs_per_luigi_task == 3


def test_ruffus_luigi_options_can_be_ignored_and_appended_to_a_users_parser():
    import argparse

    from ruffus_luigi import cmdline

    got = vars(cmdline.get_argparse(ignored_args=OURS).parse_args([]))
    assert not set(OURS) & set(got)
    parser = argparse.ArgumentParser()
    parser.add_argument("--mine", default=1)
    got = vars(cmdline.append_to_argparse(parser).parse_args(["--job", "4", "--scheduler-h", "h"]))
    assert (got["mine"], got["jobs"], got["scheduler_host"]) == (1, 4, "h")


def recorded_run(monkeypatch, argv: list[str], **extra) -> list:
    from ruffus_luigi import cmdline

    calls = []
    for name in ("pipeline_run", "pipeline_printout", "pipeline_printout_graph"):
        monkeypatch.setattr(cmdline, name, lambda *a, _n=name, **k: calls.append((_n, a, k)))
    cmdline.run(cmdline.get_argparse().parse_args(argv), **extra)
    return calls


def test_run_passes_ruffus_luigi_options_to_pipeline_run(monkeypatch):
    argv = ["--scheduler-host", "luigid.example", "--scheduler-port", "9000", "--jobs-per-luigi-task", "5", "-j", "3"]
    ((name, _args, kwargs),) = recorded_run(monkeypatch, argv)
    assert name == "pipeline_run"
    assert (kwargs["scheduler_host"], kwargs["scheduler_port"], kwargs["jobs_per_luigi_task"]) == ("luigid.example", 9000, 5)
    assert kwargs["multiprocess"] == 3
    ((_name, _args, kwargs),) = recorded_run(monkeypatch, [])
    assert "scheduler_host" not in kwargs and "jobs_per_luigi_task" not in kwargs
    assert kwargs["scheduler_port"] == 8082  # harmless without a host; serves RUFFUS_LUIGI_SCHEDULER_HOST
    for argv in (["-n"], ["--flowchart", os.devnull]):  # printing takes no scheduler keywords
        ((_name, _args, kwargs),) = recorded_run(monkeypatch, [*argv, "--scheduler-host", "h"])
        assert not (set(OURS) - {"checkpoint"}) & set(kwargs)
    # a dry run asks the run's checkpoint strategies
    ((_name, _args, kwargs),) = recorded_run(monkeypatch, ["-n", "--checkpoint", "atomic"])
    assert kwargs["checkpoint"] == "atomic"


def test_run_keyword_names_are_accepted_by_pipeline_run():
    import inspect

    from ruffus_luigi.api.pipeline_run import pipeline_run
    from ruffus_luigi.cmdline import extra_pipeline_run_options

    accepted = set(inspect.signature(pipeline_run).parameters)
    assert set(OURS) | set(extra_pipeline_run_options) <= accepted


# --------------------------------------------------------------------------- what run() calls

# Records what cmdline.run hands to pipeline_run/printout/printout_graph, instead of running.
DISPATCH = r"""
import argparse, json, sys
import ruffus
from ruffus import cmdline
IS_OURS = "ruffus_luigi" in cmdline.__name__
where = cmdline if IS_OURS else cmdline.task
STDERR, BLACK_HOLE = ruffus.stderr_logger, ruffus.black_hole_logger
CUSTOM = object()


def show(v):
    if v is sys.stdout:
        return "<stdout>"
    if hasattr(v, "mode") and hasattr(v, "name"):
        return "<file %s %s>" % (v.name, v.mode)
    if v is STDERR:
        return "<stderr_logger>"
    if v is BLACK_HOLE:
        return "<black_hole_logger>"
    if v is CUSTOM:
        return "<custom>"
    if isinstance(v, (list, tuple)):
        return [show(x) for x in v]
    return v


calls = []
for name in ("pipeline_run", "pipeline_printout", "pipeline_printout_graph"):
    setattr(where, name, lambda *a, _n=name, **k: calls.append(
        [_n, [show(x) for x in a], {key: show(x) for key, x in sorted(k.items())}]))
out = []
for argv, extra, bare in json.loads(sys.argv[1]):
    if extra.get("logger") == "custom":
        extra["logger"] = CUSTOM
    if bare:
        options = argparse.Namespace(**bare)
    else:
        options = cmdline.get_argparse().parse_args(argv)
    del calls[:]
    try:
        returned = cmdline.run(options, **extra)
    except TypeError:
        returned = "TypeError"
    for _name, _args, kwargs in calls:
        for k in OURS_KEYS:
            kwargs.pop(k, None)
    out.append([returned, list(calls), {k: show(v) for k, v in sorted(vars(options).items()) if k not in OURS_KEYS}])
print(json.dumps(out, default=repr))
""".replace("OURS_KEYS", repr(OURS))

EVERY_EXTRA = {
    "checksum_level": 1, "gnu_make_maximal_rebuild_mode": False, "runtime_data": {"x": [1]},
    "one_second_per_job": True, "exceptions_terminate_immediately": True, "log_exceptions": True,
    "indent": 4, "wrap_width": 80, "pipeline_name": "P", "size": [3, 4], "dpi": 7,
    "minimal_key_legend": True, "ignore_upstream_of_target": True, "skip_uptodate_tasks": True,
    "test_all_task_for_update": False, "user_colour_scheme": {"colour_scheme_index": 1},
    "pipeline": "main", "unknown_keyword": 1,
}
DISPATCH_CASES = [
    [[], {}, None],
    [["-v", "3"], {}, None],
    [["-v", "5:3", "-v"], {}, None],
    [["-j", "4", "--use_threads"], {}, None],
    [["-j", "4", "--use_threads"], {"multithread": 2}, None],
    [["-j", "4"], {"multithread": 3}, None],
    [["-j", "1", "--use_threads"], {}, None],
    [["--touch_files_only"], {}, None],
    [["--recreate_database", "--touch_files_only"], {}, None],
    [["-T", "a", "-T", "b", "--forced_tasks", "c", "--checksum_file_name", "h.sqlite"], EVERY_EXTRA, None],
    [[], {"logger": False}, None],
    [[], {"logger": 0}, None],
    [[], {"logger": None}, None],
    [[], {"logger": "custom"}, None],
    [["-n"], {}, None],
    [["-n", "-v", "5:3", "-T", "x"], EVERY_EXTRA, None],
    [["-n", "--flowchart", "unused.svg"], {"multithread": 3, "logger": False}, None],
    [["--flowchart", "FLOW/f.svg"], {}, None],
    [["--flowchart", "FLOW/f", "--flowchart_format", "png", "--draw_graph_horizontally",
      "--key_legend_in_graph", "-T", "t", "--forced_tasks", "u", "-v", "4"], EVERY_EXTRA, None],
    [[], {}, {"verbose": None}],
    [[], {"checksum_level": 2}, {"verbose": 2, "jobs": 3, "use_threads": True}],
    [[], {}, {"verbose": "4:1", "just_print": True}],
    [[], {}, {"verbose": ["+", "+"], "verbose_abbreviated_path": 7, "touch_files_only": True}],
    # history_file goes twice to the pipeline function: Ruffus raises TypeError
    [[], {"history_file": "h.sqlite"}, None],
    [["-n"], {"history_file": "h.sqlite"}, None],
    [["--flowchart", "FLOW/g.dot"], {"history_file": "h.sqlite"}, None],
]


def test_run_calls_the_same_functions_with_the_same_arguments_as_ruffus(tmp_path):
    results = []
    for impl in IMPLS:
        work = tmp_path / impl
        (work / "FLOW").mkdir(parents=True)
        cases = json.loads(json.dumps(DISPATCH_CASES).replace("FLOW", str(work / "FLOW")))
        done = python(impl, ["-c", DISPATCH, json.dumps(cases)], cwd=work)
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout.replace(str(work), "WORK")))
    for case, theirs, ours in zip(DISPATCH_CASES, *results, strict=True):
        assert ours == theirs, case


# --------------------------------------------------------------------------- whole scripts

SCRIPT = """
from ruffus import *
parser = cmdline.get_argparse(description="demo")
parser.add_argument("--extra", default="!")
options = parser.parse_args()
logger, logger_mutex = cmdline.setup_logging(__name__, options.log_file, options.verbose)

@originate(["a.1", "b.1", "c.1"])
def make(o):
    open(o, "w").write(o)

@transform(make, suffix(".1"), ".2", logger, logger_mutex)
def step(i, o, logger, logger_mutex):
    open(o, "w").write(open(i).read() + options.extra)
    with logger_mutex:
        logger.info("made " + o)
        logger.warning("warned " + o)

@merge(step, "all.3")
def total(i, o):
    open(o, "w").write("".join(open(f).read() for f in i))

cmdline.run(options)
"""


def run_script(tmp_path: Path, argv: list[str], prepare=None) -> list:
    results = []
    for impl in IMPLS:
        work = tmp_path / impl
        work.mkdir()
        (work / "demo.py").write_text(SCRIPT)
        if prepare:
            prepare(impl, work)
        done = python(impl, ["demo.py", *argv], cwd=work)
        assert done.returncode == 0, done.stderr
        made = {p.name: p.read_text() for p in sorted(work.iterdir()) if p.suffix in (".1", ".2", ".3", ".dot")}
        results.append((done.stdout, done.stderr, made, work))
    return results


@pytest.mark.parametrize("argv", [
    ["-n"], ["-n", "-v", "3"], ["-n", "-v", "5"], ["-n", "-v", "6:1"], ["-n", "-T", "step", "--forced_tasks", "make"],
    ["-v", "2"], ["-v", "3", "-T", "make"], ["-v", "5", "-T", "make"], ["-v", "2", "-T", "step", "--extra", "?"], ["--touch_files_only"], ["-v", "0"],
    ["--flowchart", "flow.dot"], ["--flowchart", "flow.dot", "--key_legend_in_graph", "--draw_graph_horizontally"],
    ["--flowchart", "x.dot", "--flowchart_format", "dot", "-T", "step"],
], ids=" ".join)
def test_script_using_cmdline_run_behaves_as_under_ruffus(tmp_path, argv):
    theirs, ours = run_script(tmp_path, argv)
    assert ours[:3] == theirs[:3]


def test_just_print_sees_up_to_date_files_as_ruffus_does(tmp_path):
    def prepare(impl, work):  # a first real run, then a changed input
        assert python(impl, ["demo.py"], cwd=work).returncode == 0
        os.utime(work / "b.1", (2e9, 2e9))

    theirs, ours = run_script(tmp_path, ["-n", "-v", "5"], prepare)
    dates = re.compile(r"\d\d \w\w\w \d{4} \d\d:\d\d:\d\d\.\d\d")  # the outputs' mtimes
    assert dates.sub("DATE", ours[0]) == dates.sub("DATE", theirs[0])
    assert "18 May 2033" in ours[0] and "Job needs update" in ours[0]
    assert ours[1:3] == theirs[1:3]


def test_job_completion_lines_interleave_with_job_output_as_ruffus(tmp_path):
    theirs, ours = run_script(tmp_path, ["-v", "3"])
    assert ours[1] == theirs[1]


def test_parallel_run_logs_through_the_shared_logger_as_ruffus(tmp_path):
    """Jobs in worker processes log through ``setup_logging``'s proxy into one file."""

    def lines(text: str) -> list[str]:
        return sorted(re.sub(r"\d\d:\d\d:\d\d", "T", line) for line in text.splitlines())

    theirs, ours = run_script(tmp_path, ["-j", "3", "-L", "run.log", "-v", "1"])
    assert ours[2] == theirs[2]
    assert lines((ours[3] / "run.log").read_text()) == lines((theirs[3] / "run.log").read_text())
    assert "made b.2" in (ours[3] / "run.log").read_text()
    assert lines(ours[1]) == lines(theirs[1])


LOGGING = r"""
import sys
from ruffus import cmdline
name, log_file, verbose = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])
logger, mutex = cmdline.setup_logging(name, log_file, verbose)
with mutex:
    for level in (10, cmdline.MESSAGE, 20, 30, 40, 50):
        logger.log(level, "at %d" % level)
    logger.debug("d"); logger.info("i"); logger.warning("w"); logger.error("e")
print("done")
"""


@pytest.mark.parametrize("log_file,verbose", [("x.log", 0), ("x.log", 1), ("", 1), ("", 0)])
def test_setup_logging_writes_what_ruffus_writes(tmp_path, log_file, verbose):
    got = []
    for impl in IMPLS:
        work = tmp_path / impl
        work.mkdir()
        done = python(impl, ["-c", LOGGING, "my.module", log_file, str(verbose)], cwd=work)
        assert done.returncode == 0, done.stderr
        text = (work / log_file).read_text() if log_file else None
        if text:
            text = re.sub(r"\d\d:\d\d:\d\d", "T", text)
        got.append((done.stdout, done.stderr, text))
    assert got[1] == got[0]


def test_handle_verbose_on_user_values_as_ruffus():
    code = r"""
import argparse, json
from ruffus import cmdline
out = []
for v, vap in json.loads('[[null, 0], [0, 0], [6, 0], ["6", 0], ["+", 0], [[], 0], [["+", "5", "+", "4"], 0], [["5:3"], 9], [["1:x"], 0], [["a"], 0]]'):
    ns = argparse.Namespace(verbose=v)
    if vap:
        ns.verbose_abbreviated_path = vap
    try:
        out.append(vars(cmdline.handle_verbose(ns)))
    except Exception as e:
        out.append(str(e))
print(json.dumps(out))
"""
    theirs, ours = (python(impl, ["-c", code]) for impl in IMPLS)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.stdout == theirs.stdout


def test_module_names_of_ruffus_cmdline_exist():
    code = "import ruffus.cmdline as c, json; print(json.dumps(sorted(n for n in dir(c) if not n.startswith('_'))))"
    theirs = set(json.loads(python("ruffus", ["-c", code]).stdout))
    ours = set(json.loads(python("ruffus_luigi", ["-c", code]).stdout))
    # `task` (Ruffus' internal module) is not part of the interface scripts use
    assert theirs - ours <= {"task"}
    code = "import ruffus.cmdline as c, json; print(json.dumps([c.MESSAGE, c.flowchart_formats, c.flowchart_formats_str, c.extra_pipeline_run_options, c.extra_pipeline_printout_options, c.extra_pipeline_printout_graph_options]))"
    assert python("ruffus_luigi", ["-c", code]).stdout == python("ruffus", ["-c", code]).stdout


def test_script_runs_through_luigid_given_on_the_command_line(luigid, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    (work / "demo.py").write_text(SCRIPT)
    done = python("ruffus_luigi", ["demo.py", "--scheduler-host", "127.0.0.1", "--scheduler-port", str(luigid.port),
                                   "--jobs-per-luigi-task", "1", "-j", "2"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / "all.3").read_text() == "a.1!b.1!c.1!"
    tasks = luigid.api("task_list", {"status": "DONE", "upstream_status": "", "search": ""})
    step_chunks = [t for t in tasks.values() if t["name"] == "step" and t["params"]["jobs"] != "all"]  # (a stage: jobs=all)
    assert len(step_chunks) == 3  # one job per Luigi task, as asked
