"""The ruffus-luigi command: scripts run unchanged with `ruffus` resolving to ruffus-luigi."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_shim_path_is_the_alias_directory() -> None:
    out = subprocess.run([sys.executable, "-m", "ruffus_luigi", "shim-path"], capture_output=True, text=True, cwd=REPO)
    assert Path(out.stdout.strip()) == REPO / "ruffus_luigi" / "shim"
    assert (Path(out.stdout.strip()) / "ruffus" / "__init__.py").exists()


def test_run_resolves_ruffus_to_ruffus_luigi_and_keeps_exit_status(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text(
        "import sys, ruffus, subprocess\n"
        "print(ruffus.__file__)\n"
        "print(subprocess.run([sys.executable, '-c', 'import ruffus; print(ruffus.__file__)'],"
        " capture_output=True, text=True).stdout.strip())\n"
        "print(sys.argv[1:])\n"
        "sys.exit(3)\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", str(script), "-v", "x"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    shim = str(REPO / "ruffus_luigi" / "shim")
    lines = out.stdout.splitlines()
    assert out.returncode == 3
    assert lines[0].startswith(shim) and lines[1].startswith(shim)
    assert lines[2] == "['-v', 'x']"


def test_backends_lists_every_installed_back_end_with_its_distribution() -> None:
    env = {k: v for k, v in os.environ.items() if k != "RUFFUS_LUIGI_BACKEND"}
    out = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "backends"], capture_output=True, text=True, cwd=REPO, env=env, check=True
    )
    rows = {line.split()[0]: line for line in out.stdout.splitlines()}
    assert set(rows) >= {"local", "drmaa", "slurm"}
    assert rows["local"].split()[1] == "ruffus-luigi"
    assert rows["drmaa"].split()[1] == "ruffus-luigi-drmaa"  # the separately installed plugins
    assert rows["slurm"].split()[1] == "ruffus-luigi-slurm"
    assert rows["local"].endswith("[chosen]")  # the default


def test_run_backend_option_chooses_the_back_end(tmp_path: Path) -> None:
    script = tmp_path / "p.py"
    script.write_text(
        "from ruffus import *\n"
        "@originate(['a.out'])\n"
        "def make(o):\n"
        "    open(o, 'w').write('x')\n"
        "pipeline_run(verbose=0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "--backend", "no-such-backend", str(script)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert out.returncode != 0
    assert "back end 'no-such-backend' (chosen by " in out.stderr and " is unknown " in out.stderr
    assert not (tmp_path / "a.out").exists()  # nothing ran locally instead
    ok = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "--backend", "local", str(script)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "a.out").read_text() == "x"
