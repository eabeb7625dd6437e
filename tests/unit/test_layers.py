"""The package's layers (docs/architecture.md): imports only go down, and none hides in a function.

The contract itself is import-linter's (``[tool.importlinter]`` in pyproject.toml, run by
tools/test.sh as ``lint-imports``); these tests run it from pytest too, and check what it
cannot: an import inside a function says on its line, or the line above, why it is there
(Luigi or the plugins loaded only when needed), so none is left to dodge a cycle.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import importlinter  # noqa: F401 - a test dependency (pyproject.toml): missing, this file fails, never skips
import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "ruffus_luigi"


def _imports_inside_functions() -> list[tuple[Path, int, str, str]]:
    """(file, line, the import's text, the line above) of every import inside a function."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    text = lines[node.lineno - 1]
                    above = lines[node.lineno - 2] if node.lineno >= 2 else ""
                    found.append((path, node.lineno, text, above))
    return found


@pytest.mark.timeout(60)
def test_every_import_inside_a_function_says_why() -> None:
    unexplained = [
        "%s:%d: %s" % (path.relative_to(REPO), line, text.strip())
        for path, line, text, above in _imports_inside_functions()
        if "#" not in text and not above.strip().startswith("#") and not above.strip().startswith("from ")
        and not above.strip().startswith("import ")
    ]
    assert not unexplained, "imports inside functions without a comment saying why:\n" + "\n".join(unexplained)


@pytest.mark.timeout(120)
def test_imports_only_go_down_the_layers() -> None:
    """import-linter's layers contract (pyproject.toml) holds for the package as it is."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.argv[0] = 'lint-imports'; lint_imports_command()"],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])),
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout
