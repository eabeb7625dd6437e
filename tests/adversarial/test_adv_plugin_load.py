"""An installed plugin whose entry point cannot be imported (a stale install, a missing module).

Before: every run that loaded the plugins died with pluggy's traceback and a bare
``ModuleNotFoundError``, naming neither the plugin nor its distribution. Now one line names
the entry point, its distribution and what to do; a plain local run (which never loads the
plugins) is not affected.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    from ruffus import originate, pipeline_run

    @originate(["out.txt"])
    def make(output):
        open(output, "w").write("made")

    pipeline_run(verbose=0)
    """
)


def stale_install(site: Path) -> None:
    """A distribution ``stale-plugin`` 1.2 whose entry point names a module that is not there."""
    info = site / "stale_plugin-1.2.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stale-plugin\nVersion: 1.2\n")
    (info / "entry_points.txt").write_text("[ruffus_luigi]\nstale = stale_plugin.gone_module\n")


def run(args: list[str], cwd: Path, site: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(site)])
    return subprocess.run([sys.executable, "-m", "ruffus_luigi", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


MESSAGE = ("ruffus-luigi: ruffus-luigi plugin 'stale' (entry point stale_plugin.gone_module, distribution "
           "stale-plugin 1.2) cannot be loaded: ModuleNotFoundError: No module named 'stale_plugin'; "
           "reinstall it, or pip uninstall stale-plugin")


@pytest.mark.timeout(120)
@pytest.mark.held("back end choice", "bad input")
@pytest.mark.parametrize("command", [["backends"], ["run", "--backend", "example", "pipeline.py"]])
def test_a_plugin_that_cannot_be_imported_is_named_in_one_line(command, tmp_path):
    stale_install(tmp_path / "site")
    (tmp_path / "pipeline.py").write_text(SCRIPT)

    done = run(command, tmp_path, tmp_path / "site")

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == MESSAGE, done.stderr
    assert not (tmp_path / "out.txt").exists()


@pytest.mark.timeout(120)
@pytest.mark.held("back end choice", "bad input")
def test_a_local_run_does_not_load_the_plugins(tmp_path):
    stale_install(tmp_path / "site")
    (tmp_path / "pipeline.py").write_text(SCRIPT)

    done = run(["run", "pipeline.py"], tmp_path, tmp_path / "site")

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.txt").read_text() == "made"
