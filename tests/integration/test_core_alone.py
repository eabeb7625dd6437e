"""ruffus-luigi as a new user gets it: ``pip install`` of the core alone into a clean virtual
environment (no plugins, no test extra, no drmaa), then Ruffus scripts written by others.

The environment is made once per module (``python3 -m venv``; pip reaches the package index
through its cache) from a copy of the core's own files, so the build never writes into the
source tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RUFFUS_LUIGI_", "DRMAA_", "SGE_", "PYTHON", "VIRTUAL_ENV", "LUIGI_CONFIG"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def core(tmp_path_factory) -> Path:
    """The ``bin`` directory of a fresh venv holding ruffus-luigi and only what it declares."""
    root = tmp_path_factory.mktemp("core_alone")
    source = root / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "ruffus_luigi", source / "ruffus_luigi", ignore=shutil.ignore_patterns("__pycache__"))
    venv.EnvBuilder(with_pip=True).create(root / "venv")
    bin_dir = root / "venv" / "bin"
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=540, env=clean_env(), stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


def run(bin_dir: Path, args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    env = clean_env(**extra)
    env["PATH"] = "%s:%s" % (bin_dir, env.get("PATH", ""))
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=120, stdin=subprocess.DEVNULL)


GUARDED = textwrap.dedent(
    """
    import sys
    from ruffus import *
    from ruffus.drmaa_wrapper import run_job, error_drmaa_job

    try:  # as Ruffus' own test_pool_manager.py and many scripts do
        import drmaa
        session = drmaa.Session()
        session.initialize()
    except ImportError:
        session = None

    @originate(["a.txt", "b.txt"])
    def make(out):
        open(out, "w").write(out)

    @transform(make, suffix(".txt"), ".up")
    def up(i, o):
        out, err = run_job("tr a-z A-Z < %s" % i, run_locally=session is None)
        open(o, "w").write("".join(out))

    @merge(up, "all.txt")
    def combine(ins, out):
        open(out, "w").write("+".join(open(i).read() for i in ins))

    pipeline_run(multiprocess=2, verbose=0)
    print("session", session)
    """
)


@pytest.mark.timeout(600)
def test_core_alone_has_no_drmaa_and_runs_a_guarded_script(core, tmp_path):
    listed = run(core, [str(core / "python"), "-m", "pip", "list", "--format=freeze"], tmp_path).stdout
    names = {line.split("==")[0].lower() for line in listed.splitlines()}
    assert "ruffus-luigi" in names and not names & {"drmaa", "networkx", "ruffus-luigi-drmaa", "pytest"}, names
    probe = run(core, [str(core / "python"), "-c", "import drmaa"], tmp_path)
    assert probe.stderr.splitlines()[-1] == "ModuleNotFoundError: No module named 'drmaa'"  # an ImportError
    (tmp_path / "pipeline.py").write_text(GUARDED)
    done = run(core, ["ruffus-luigi", "run", "pipeline.py"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "all.txt").read_text() == "A.TXT+B.TXT" and "session None" in done.stdout
    backends = run(core, ["ruffus-luigi", "backends"], tmp_path)
    assert [line.split()[0] for line in backends.stdout.splitlines()] == ["local"]


RUN_JOB_TO_GRID_ENGINE = textwrap.dedent(
    """
    from ruffus.drmaa_wrapper import run_job, error_drmaa_job, HAVE_DRMAA

    print("HAVE_DRMAA", HAVE_DRMAA)
    for session in (None, object()):  # none; one a script opened with drmaa installed alone
        try:
            run_job("true", drmaa_session=session)
        except error_drmaa_job as e:
            print(str(e))
    """
)


@pytest.mark.timeout(600)
def test_core_alone_run_job_to_grid_engine_says_which_package_to_install(core, tmp_path):
    (tmp_path / "run_job.py").write_text(RUN_JOB_TO_GRID_ENGINE)
    done = run(core, ["ruffus-luigi", "run", "run_job.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "HAVE_DRMAA False",
        "Please specify a drmaa_session in run_job()",  # Ruffus' own words, as without drmaa there
        "run_job cannot send jobs to back end 'drmaa': back end 'drmaa' is not installed: pip install "
        "ruffus-luigi-drmaa (plugins/ruffus-luigi-drmaa in ruffus-luigi's source); installed back ends: local",
    ]
    assert not list(tmp_path.glob("*drmaa_script*")) and not list(tmp_path.glob("*ruffus_job*"))  # no script left
    (tmp_path / "pipeline.py").write_text(GUARDED)
    chosen = run(core, ["ruffus-luigi", "run", "--backend", "drmaa", "pipeline.py"], tmp_path)
    assert chosen.returncode != 0 and not (tmp_path / "a.txt").exists()
    assert chosen.stderr == (
        "ruffus-luigi: back end 'drmaa' (chosen by RUFFUS_LUIGI_BACKEND or ruffus-luigi run --backend) is not "
        "installed: pip install ruffus-luigi-drmaa (plugins/ruffus-luigi-drmaa in ruffus-luigi's source); "
        "installed back ends: local\n"
    )


CYCLE = textwrap.dedent(
    """
    from ruffus import *

    @follows("task_b")
    @originate("a.o")
    def task_a(o):
        open(o, "w").close()

    @follows(task_a)
    @originate("b.o")
    def task_b(o):
        open(o, "w").close()

    pipeline_run(verbose=0)
    """
)


@pytest.mark.timeout(600)
def test_core_alone_names_a_dependency_cycle_as_ruffus_does(core, tmp_path):
    (tmp_path / "cycle.py").write_text(CYCLE)
    ours = run(core, ["ruffus-luigi", "run", "cycle.py"], tmp_path)
    reference = subprocess.run(  # Ruffus 3.0.0 itself (the test extra's), without the alias
        [sys.executable, "cycle.py"], capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=120
    )
    assert ours.returncode != 0 and reference.returncode != 0
    assert "ModuleNotFoundError" not in ours.stderr, ours.stderr
    # Ruffus' order of the names varies with the hash seed; ours is sorted
    said = re.compile(r"Circular dependencies found in the pipeline involving one or more of \((task_\w), (task_\w)\)")
    assert sorted(said.search(reference.stderr).groups()) == ["task_a", "task_b"], reference.stderr
    assert said.search(ours.stderr).groups() == ("task_a", "task_b"), ours.stderr
