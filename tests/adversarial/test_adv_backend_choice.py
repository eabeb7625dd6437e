"""A back end chosen wrongly stops the run before any job, in one line (issue 16, item 8).

Unknown names by every way of choosing one, a cluster back end whose library or commands are
missing, bad back end options, and a plugin whose hook name is misspelt: each is an error that
names the back end (or plugin), says why and lists what is installed, before any job runs and
without a traceback under ``ruffus-luigi run``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ruffus_luigi import hookspecs, plugins

CLASS = "back end choice"

SCRIPT = textwrap.dedent(
    """
    import os
    from ruffus import *

    @originate(["a.txt", "b.txt"])
    def make(out):
        open("ran.log", "a").write(out + "\\n")
        open(out, "w").write(out)

    @transform(make, suffix(".txt"), ".up")
    def up(i, o):
        open("ran.log", "a").write(o + "\\n")
        open(o, "w").write(open(i).read().upper())

    pipeline_run(multiprocess=2, verbose=1, **eval(os.environ.get("RUN_KEYWORDS", "{}")))
    """
)

CMDLINE_SCRIPT = textwrap.dedent(
    """
    from ruffus import *
    parser = cmdline.get_argparse(description="x")
    options = parser.parse_args()

    @originate(["a.txt"])
    def make(out):
        open("ran.log", "a").write(out + "\\n")
        open(out, "w").write(out)

    cmdline.run(options)
    """
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "DRMAA_", "SGE_"))}
    env.pop("LUIGI_CONFIG_PATH", None)
    env.update(extra)
    return env


def ruffus_luigi_run(tmp_path: Path, args: list[str], script: str = SCRIPT, **extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "pipeline.py").write_text(script)
    return subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", *args], capture_output=True, text=True, cwd=tmp_path,
        env=clean_env(**extra), timeout=120, stdin=subprocess.DEVNULL,
    )


def assert_stopped_before_any_job(done: subprocess.CompletedProcess, tmp_path: Path, *phrases: str) -> str:
    """Non-zero exit, one line on stderr containing the phrases and the installed back ends, no job."""
    assert done.returncode != 0, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    [line] = lines
    assert line.startswith("ruffus-luigi: back end "), line
    for phrase in phrases:
        assert phrase in line, line
    assert "installed back ends: " in line and "local" in line.split("installed back ends: ")[1], line
    assert not (tmp_path / "ran.log").exists() and not (tmp_path / "a.txt").exists()
    assert "Task enters queue" not in done.stdout + done.stderr
    return line


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_unknown_back_end_on_the_command_line(tmp_path):
    done = ruffus_luigi_run(tmp_path, ["--backend", "nosuch", "pipeline.py"])
    assert_stopped_before_any_job(done, tmp_path, "'nosuch'", "--backend", " is unknown ")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_unknown_back_end_in_the_environment(tmp_path):
    done = ruffus_luigi_run(tmp_path, ["pipeline.py"], RUFFUS_LUIGI_BACKEND="nosuch")
    assert_stopped_before_any_job(done, tmp_path, "'nosuch'", "RUFFUS_LUIGI_BACKEND", " is unknown ")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_unknown_back_end_in_luigi_cfg(tmp_path):
    (tmp_path / "luigi.cfg").write_text("[ruffus_luigi]\nbackend = nosuch\n")
    done = ruffus_luigi_run(tmp_path, ["pipeline.py"])
    assert_stopped_before_any_job(done, tmp_path, "'nosuch'", "[ruffus_luigi] backend in luigi.cfg")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_unknown_back_end_as_pipeline_run_keyword(tmp_path):
    done = ruffus_luigi_run(tmp_path, ["pipeline.py"], RUN_KEYWORDS="{'backend': 'nosuch'}")
    assert_stopped_before_any_job(done, tmp_path, "'nosuch'", "pipeline_run(backend=...)")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_unknown_back_end_in_a_cmdline_scripts_own_option(tmp_path):
    done = ruffus_luigi_run(tmp_path, ["pipeline.py", "--backend", "nosuch"], script=CMDLINE_SCRIPT)
    assert_stopped_before_any_job(done, tmp_path, "'nosuch'", "the script's --backend")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_unknown_run_job_back_end(tmp_path):
    done = ruffus_luigi_run(tmp_path, ["pipeline.py"], RUFFUS_LUIGI_RUN_JOB_BACKEND="nosuch")
    assert_stopped_before_any_job(done, tmp_path, "'nosuch'", "RUFFUS_LUIGI_RUN_JOB_BACKEND")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_drmaa_without_its_library(tmp_path):
    done = ruffus_luigi_run(tmp_path, ["--backend", "drmaa", "pipeline.py"], DRMAA_LIBRARY_PATH="/nonexistent/libdrmaa.so")
    assert_stopped_before_any_job(done, tmp_path, "'drmaa' cannot load the DRMAA library", "/nonexistent/libdrmaa.so")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_slurm_without_its_commands(tmp_path):
    bin_dir = tmp_path / "bin"  # nothing on PATH: no sbatch (/bin is /usr/bin on Debian)
    bin_dir.mkdir()
    done = ruffus_luigi_run(tmp_path, ["--backend", "slurm", "pipeline.py"], PATH=str(bin_dir))
    assert_stopped_before_any_job(done, tmp_path, "'slurm' needs sbatch")


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_bad_back_end_options_in_luigi_cfg(tmp_path):
    (tmp_path / "luigi.cfg").write_text("[ruffus_luigi.backend.slurm]\nno_such_option = 1\n")
    done = ruffus_luigi_run(tmp_path, ["--backend", "slurm", "pipeline.py"], PATH="/usr/bin:/bin")
    assert_stopped_before_any_job(
        done, tmp_path, "back end 'slurm': unknown option(s) 'no_such_option' (in [ruffus_luigi.backend.slurm])"
    )


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_plain_python_run_stops_before_any_job_too(tmp_path):
    """``python pipeline.py`` with the alias: the exception's message is the same one line."""
    (tmp_path / "pipeline.py").write_text(SCRIPT)
    shim = subprocess.run([sys.executable, "-m", "ruffus_luigi", "shim-path"], capture_output=True, text=True).stdout
    done = subprocess.run(
        [sys.executable, "pipeline.py"], capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env=clean_env(RUFFUS_LUIGI_BACKEND="nosuch", PYTHONPATH=shim.strip()),
    )
    assert done.returncode != 0
    assert done.stderr.splitlines()[-1].startswith("ruffus_luigi.backends.base.UnknownBackend: back end 'nosuch'")
    assert not (tmp_path / "ran.log").exists()


MISSPELT_PLUGIN = textwrap.dedent(
    """
    from ruffus_luigi.hookspecs import hookimpl

    @hookimpl
    def ruffus_luigi_register_backend():  # 'backends' misspelt: never called if not caught
        return {"misspelt": None}
    """
)


def install_dist(site: Path, name: str, module_text: str) -> None:
    """A distribution with a ``ruffus_luigi`` entry point, as pip would leave it (a .dist-info)."""
    (site / ("%s.py" % name)).write_text(module_text)
    info = site / ("%s-0.1.dist-info" % name)
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: %s\nVersion: 0.1\n" % name)
    (info / "entry_points.txt").write_text("[ruffus_luigi]\n%s = %s\n" % (name, name))


@pytest.mark.timeout(120)
@pytest.mark.held(CLASS, "bad input")
def test_misspelt_hook_in_an_installed_plugin_is_an_error_at_load(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    install_dist(site, "typoplugin", MISSPELT_PLUGIN)
    env = clean_env(PYTHONPATH=str(site))
    listed = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "backends"], capture_output=True, text=True, env=env, timeout=60
    )
    assert listed.returncode != 0
    assert "ruffus-luigi plugin 'typoplugin' (distribution typoplugin 0.1) implements unknown hook(s) " \
        "ruffus_luigi_register_backend;" in listed.stderr
    assert "ruffus_luigi_register_backends" in listed.stderr  # the hooks there are
    (tmp_path / "pipeline.py").write_text(SCRIPT)
    # (a plain local run loads no plugin; a run choosing a strategy or a back end loads them all)
    run = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "--checkpoint", "atomic", "pipeline.py"],
        capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=120,
    )
    assert run.returncode != 0 and "unknown hook(s) ruffus_luigi_register_backend" in run.stderr
    assert not (tmp_path / "ran.log").exists()


@pytest.mark.timeout(60)
@pytest.mark.held(CLASS, "bad input")
def test_misspelt_hook_in_a_plugin_registered_by_hand_is_refused():
    import pluggy

    class Typo:
        @hookspecs.hookimpl
        def ruffus_luigi_job_finsihed(self, backend, job, job_id, result):
            pass

    typo = Typo()
    with pytest.raises(pluggy.PluginValidationError, match="'typo-test' implements unknown hook.s. ruffus_luigi_job_finsihed"):
        plugins.register(typo, "typo-test")
    assert not plugins.manager().is_registered(typo)
    assert "local" in plugins.backend_names()  # the others still work
