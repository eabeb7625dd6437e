"""The summary that counts adversarial tests by class and kind (README "tried and held")."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_held_table_counts_only_passed_marked_tests(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "tests" / "test_sample.py").write_text(
        "import pytest\n"
        "@pytest.mark.held('links', 'adversarial')\n"
        "def test_a(): pass\n"
        "@pytest.mark.held('links', 'bad input')\n"
        "def test_b(): pass\n"
        "@pytest.mark.held('links', 'bad input')\n"
        "def test_c(): assert False\n"
        "def test_d(): pass\n"
    )
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "luigid.py").write_text("class Luigid: pass\n")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(tmp_path / "tests")],
        capture_output=True, text=True, timeout=100, cwd=tmp_path,
    ).stdout
    assert "tried and held" in out
    assert "| links | 1 | 0 | 1 | 2 |" in out
    assert "| all | 1 | 0 | 1 | 2 |" in out
