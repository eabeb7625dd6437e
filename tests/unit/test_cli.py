"""The ruffus-luigi command: scripts run unchanged with `ruffus` resolving to ruffus-luigi."""

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
