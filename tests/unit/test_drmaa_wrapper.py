"""``ruffus.drmaa_wrapper.run_job``: Ruffus' signature and results, routed through a back end."""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ruffus_luigi import drmaa_wrapper
from ruffus_luigi.execution import nested

REPO = Path(__file__).resolve().parents[2]


class Logger:
    def __init__(self):
        self.lines = {"info": [], "debug": [], "warning": [], "error": []}

    def __getattr__(self, level):
        return lambda message, *a, **k: self.lines[level].append(message)


def ruffus_signature(name: str) -> list[tuple[str, object]]:
    """Argument names and defaults of a function in Ruffus 3.0.0's drmaa_wrapper.py (read, not imported)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [sys.executable, "-c", "import ruffus, os; print(os.path.dirname(ruffus.__file__))"],
        capture_output=True, text=True, check=True, env=env, cwd="/",
    ).stdout.strip()
    tree = ast.parse(Path(where, "drmaa_wrapper.py").read_text())
    [func] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    names = [a.arg for a in func.args.args]
    defaults = [ast.literal_eval(d) for d in func.args.defaults]
    return list(zip(names, [inspect.Parameter.empty] * (len(names) - len(defaults)) + defaults, strict=True))


@pytest.mark.parametrize(
    "name", ["run_job", "run_job_locally", "run_job_using_drmaa", "touch_output_files", "read_stdout_stderr_from_files",
             "write_job_script_to_temp_file"],
)
def test_signatures_are_ruffus(name):
    ours = inspect.signature(getattr(drmaa_wrapper, name)).parameters.values()
    assert [(p.name, p.default) for p in ours] == ruffus_signature(name)


def test_run_locally_returns_lines_in_the_working_directory_with_the_given_environment(tmp_path):
    out, err = drmaa_wrapper.run_job(
        'pwd; echo "$ONLY_THIS-$HOME"; echo oops >&2', run_locally=True,
        job_environment={"ONLY_THIS": "x"}, working_directory=str(tmp_path),
    )
    assert out == [str(tmp_path) + "\n", "x-\n"] and err == ["oops\n"]


def test_run_locally_failure_raises_with_output(tmp_path):
    with pytest.raises(drmaa_wrapper.error_drmaa_job, match="(?s)exited with status 4.*echo out; exit 4.*out"):
        drmaa_wrapper.run_job("echo out; exit 4", run_locally=True)


def test_touch_only_touches_outputs_and_runs_nothing(tmp_path):
    old = tmp_path / "old.txt"
    old.write_text("keep")
    os.utime(old, (1, 1))
    result = drmaa_wrapper.run_job(
        "touch %s/ran" % tmp_path, touch_only=True, output_files=[str(old), [str(tmp_path / "new.txt")], 7]
    )
    assert result == ("", "")
    assert old.read_text() == "keep" and old.stat().st_mtime > 1 and (tmp_path / "new.txt").exists()
    assert not (tmp_path / "ran").exists()


def test_cluster_job_without_session_or_configured_back_end_is_ruffus_error(monkeypatch):
    monkeypatch.delenv("RUFFUS_LUIGI_BACKEND", raising=False)
    monkeypatch.delenv("RUFFUS_LUIGI_RUN_JOB_BACKEND", raising=False)
    with pytest.raises(drmaa_wrapper.error_drmaa_job, match="Please specify a drmaa_session in run_job()"):
        drmaa_wrapper.run_job("true")


def test_run_job_back_end_setting_wins_for_run_job_only(monkeypatch, tmp_path):
    from ruffus_luigi.settings import config

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RUFFUS_LUIGI_BACKEND", "drmaa")
    monkeypatch.setenv("RUFFUS_LUIGI_RUN_JOB_BACKEND", "local")
    assert config.backend() == "drmaa" and config.run_job_backend() == "local"
    assert drmaa_wrapper.run_job("echo via-local") == (["via-local\n"], [])


@pytest.fixture
def local_backend(monkeypatch, tmp_path):
    monkeypatch.delenv("RUFFUS_LUIGI_RUN_JOB_BACKEND", raising=False)
    monkeypatch.setenv("RUFFUS_LUIGI_BACKEND", "local")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cluster_job_through_configured_back_end(local_backend):
    work = local_backend / "work"
    work.mkdir()
    log = Logger()
    out, err = drmaa_wrapper.run_job(
        'pwd; echo "$GREETING"; echo warn >&2', job_name="hello", job_environment={"GREETING": "hi there"},
        working_directory=str(work), job_script_directory=str(local_backend / "scripts"), logger=log, verbose=1,
    )
    assert out == [str(work) + "\n", "hi there\n"] and err == ["warn\n"]
    assert os.listdir(local_backend / "scripts") == []  # script, logs and exit code cleaned up
    assert log.lines["info"] == ['Drmaa command successfully ran pwd; echo "$GREETING"; echo warn >&2']


def test_retain_job_scripts_keeps_the_script_named_by_job_id(local_backend):
    drmaa_wrapper.run_job("echo kept", job_name="keep", retain_job_scripts=True)
    [script] = [p for p in os.listdir(local_backend) if p.startswith("keep_")]
    assert ".local-" in script and "echo kept" in (local_backend / script).read_text()


def test_cluster_job_failure_raises_with_exit_status_and_output(local_backend):
    with pytest.raises(drmaa_wrapper.error_drmaa_job) as info:
        drmaa_wrapper.run_job("echo about to fail; echo why >&2; exit 3", job_name="bad")
    text = str(info.value)
    assert text.startswith("The local command exited with status 3:\nThe original command was: >> echo about")
    assert "The jobid was: local-" in text and "The stderr was: \nwhy\n" in text
    assert "The stdout was: \nabout to fail\n" in text


def test_resubmit_retries_a_failing_job(local_backend):
    counter = local_backend / "count"
    cmd = 'echo x >> %s; [ "$(wc -l < %s)" -ge 2 ]' % (counter, counter)
    out, err = drmaa_wrapper.run_job(cmd, resubmit=3)
    assert counter.read_text() == "x\nx\n"


def test_grid_engine_options_are_translated_and_the_rest_reported(local_backend):
    log = Logger()
    drmaa_wrapper.run_job("true", job_other_options="-q all.q -l h_vmem=1G -pe smp 2 -P proj -cwd", logger=log)
    [warning] = log.lines["warning"]
    assert "-P proj" in warning and "-q all.q" in warning and "back end 'local'" in warning


def test_job_script_and_output_files_as_ruffus(tmp_path):
    script, out, err = drmaa_wrapper.write_job_script_to_temp_file(
        "ls -l", str(tmp_path / "new"), "myjob", "-q x", {"A": "1"}, "/work"
    )
    assert Path(script).name.startswith("myjob_") and (out, err) == (script + ".stdout", script + ".stderr")
    assert Path(script).read_text().splitlines() == [
        "#!/bin/sh", "#job_name=myjob", "#job_other_options=-q x", "#job_environment={'A': '1'}",
        "#working_directory=/work", "ls -l",
    ]
    log = Logger()
    assert drmaa_wrapper.read_stdout_stderr_from_files(out, err, log, "ls -l", tries=0) == ([], [])
    assert [m.split(":")[0] for m in log.lines["warning"]] == ["could not open stdout", "could not open stderr"]
    Path(out).write_text("a\nb\n")
    Path(err).write_text("")
    assert drmaa_wrapper.read_stdout_stderr_from_files(out, err, log) == (["a\n", "b\n"], [])
    assert not Path(out).exists()


def test_the_ruffus_alias_gives_this_module():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)]))
    code = "import ruffus.drmaa_wrapper as d, sys; print(d.__name__, 'drmaa' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["ruffus_luigi.drmaa_wrapper", "False"]


# ---------------------------------------------------- run_job inside a job running on a cluster node


@pytest.fixture
def on_a_node(monkeypatch, tmp_path):
    """This process runs a job of task 'count' on a node (as ``remote.run`` marks it)."""
    # (setenv, not delenv: pytest restores only what it changed, and delenv of an unset
    # variable changes nothing, so enter()'s value would outlive the test)
    monkeypatch.setenv(nested.MARKER, "")
    monkeypatch.setattr(nested, "_dropped", [])
    monkeypatch.setenv("RUFFUS_LUIGI_BACKEND", "no-such-back-end")  # nothing may be submitted
    monkeypatch.delenv("RUFFUS_LUIGI_RUN_JOB_BACKEND", raising=False)
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.chdir(tmp_path)
    nested.enter("count")
    return tmp_path


@pytest.mark.timeout(60)
def test_on_a_node_the_command_runs_here_with_run_job_results(on_a_node):
    work = on_a_node / "work"
    work.mkdir()
    log = Logger()
    out, err = drmaa_wrapper.run_job(
        'pwd; echo "$GREETING $SLURM_JOB_ID"; echo warn >&2', job_name="hello", job_environment={"GREETING": "hi"},
        working_directory=str(work), job_script_directory=str(on_a_node / "scripts"), logger=log, verbose=1,
        drmaa_session=None,
    )
    assert out == [str(work) + "\n", "hi 4242\n"] and err == ["warn\n"]
    assert os.listdir(on_a_node / "scripts") == []
    assert log.lines["info"] == ['Drmaa command successfully ran pwd; echo "$GREETING $SLURM_JOB_ID"; echo warn >&2']
    assert nested.dropped() == []


@pytest.mark.timeout(60)
def test_on_a_node_retained_script_is_named_by_the_outer_job(on_a_node):
    drmaa_wrapper.run_job("echo kept", job_name="keep", retain_job_scripts=True, job_other_options="-cwd -V")
    [script] = [p for p in os.listdir(on_a_node) if p.startswith("keep_")]
    assert script.endswith(".4242") and "echo kept" in (on_a_node / script).read_text()
    assert nested.dropped() == []  # nothing asked for: nothing dropped


@pytest.mark.timeout(60)
def test_on_a_node_failure_is_ruffus_error_and_resubmit_retries(on_a_node):
    with pytest.raises(drmaa_wrapper.error_drmaa_job) as info:
        drmaa_wrapper.run_job("echo about to fail; echo why >&2; exit 3", job_other_options="-l mem_free=2G -pe smp 2")
    text = str(info.value)
    assert text.startswith("The no-such-back-end command exited with status 3:\nThe original command was: >> echo")
    assert "The jobid was: 4242" in text and "The stderr was: \nwhy\n" in text and "The stdout was: \nabout" in text
    assert nested.dropped() == ["-l mem_free=2G -pe smp 2"]
    counter = on_a_node / "count"
    drmaa_wrapper.run_job('echo x >> %s; [ "$(wc -l < %s)" -ge 2 ]' % (counter, counter), resubmit=3)
    assert counter.read_text() == "x\nx\n"


@pytest.mark.timeout(60)
def test_on_a_node_processes_the_task_function_starts_run_their_commands_there_too(on_a_node):
    """A ``multiprocessing`` pool that spawns (no module state inherited) or a script."""
    code = (
        "import multiprocessing as mp\n"
        "from ruffus_luigi import drmaa_wrapper\n"
        "def one(i):\n"
        "    return drmaa_wrapper.run_job('echo $SLURM_JOB_ID-%d' % i)[0]\n"
        "if __name__ == '__main__':\n"
        "    with mp.get_context('spawn').Pool(2) as pool:\n"
        "        print(pool.map(one, [1, 2]))\n"
    )
    (on_a_node / "spawn.py").write_text(code)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "spawn.py"], capture_output=True, text=True, env=env, timeout=50)
    assert done.returncode == 0 and done.stdout.strip() == "[['4242-1\\n'], ['4242-2\\n']]", done.stderr
