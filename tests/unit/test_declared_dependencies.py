"""Every third-party distribution a module imports is declared in the pyproject.toml that ships it.

A dependency that is only present on the developers' machines (networkx once was) breaks a
user's clean install with ``ModuleNotFoundError``. The imports are read with ``ast`` (every
``import``, at any depth, TYPE_CHECKING blocks included) and mapped to distributions with
``importlib.metadata.packages_distributions()``:

- ``ruffus_luigi/``: the core's ``dependencies`` (``ruffus_luigi/testing/``, the conformance kit
  that plugin authors run under pytest, also those of the ``test`` extra);
- each ``plugins/<name>/<package>/``: that plugin's ``dependencies``;
- the test code (``tests/``, ``tools/``, ``bench/``, ``plugins/*/tests/``): those of the core, its
  ``test`` extra and the plugins.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKIP_DIRS = {"__pycache__", ".venv", "build", "corpus"}  # corpus: Ruffus scripts as users wrote them


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    return {canonical(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def project(pyproject: Path) -> dict:
    return tomllib.loads(pyproject.read_text())["project"]


def python_files(root: Path, skip: set[str] = SKIP_DIRS) -> list[Path]:
    return [p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts)]


def imported_top_level(path: Path) -> set[str]:
    """Top-level names of absolute imports in one file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def local_modules() -> set[str]:
    """Modules and packages that are files of this repository (test helpers, the Ruffus alias...)."""
    found = set()
    for path in python_files(REPO, {"__pycache__", ".venv", "build"}):
        found.add(path.stem)
        found.update(part for part in path.relative_to(REPO).parts[:-1])
    return found


def undeclared(files: list[Path], declared: set[str], own: set[str]) -> list[str]:
    """``file: module (distribution)`` for each import of a distribution not in ``declared``."""
    dists = packages_distributions()
    local = local_modules() | own
    found = []
    for path in files:
        for name in sorted(imported_top_level(path)):
            if name in sys.stdlib_module_names or name == "__future__" or name in local:
                continue
            providers = {canonical(d) for d in dists.get(name, [])}
            if not providers:
                found.append("%s: %s (no installed distribution provides it)" % (path.relative_to(REPO), name))
            elif not providers & declared:
                found.append("%s: %s (%s)" % (path.relative_to(REPO), name, ", ".join(sorted(providers))))
    return found


CORE = project(REPO / "pyproject.toml")
PLUGINS = sorted(p.parent for p in (REPO / "plugins").glob("*/pyproject.toml"))


@pytest.mark.timeout(120)
def test_the_core_imports_only_what_it_declares():
    kit = REPO / "ruffus_luigi" / "testing"
    files = [f for f in python_files(REPO / "ruffus_luigi") if kit not in f.parents]
    assert len(files) > 30
    # the alias package ``ruffus`` (ruffus_luigi/shim) is ours, not the ``ruffus`` distribution
    assert undeclared(files, requirement_names(CORE["dependencies"]), {"ruffus_luigi"}) == []
    with_tests = requirement_names(CORE["dependencies"] + CORE["optional-dependencies"]["test"])
    assert undeclared(python_files(kit), with_tests, {"ruffus_luigi"}) == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("plugin", PLUGINS, ids=[p.name for p in PLUGINS])
def test_each_plugin_imports_only_what_it_declares(plugin: Path):
    meta = project(plugin / "pyproject.toml")
    declared = requirement_names(meta.get("dependencies", []))
    packages = [d for d in plugin.iterdir() if (d / "__init__.py").exists()]
    assert packages, plugin
    files = [f for package in packages for f in python_files(package)]
    own = {d.name for d in packages} | ({"ruffus_luigi"} if "ruffus-luigi" in declared else set())
    assert undeclared(files, declared, own) == []


@pytest.mark.timeout(120)
def test_the_tests_import_only_what_the_test_extra_and_the_plugins_declare():
    declared = requirement_names(CORE["dependencies"] + CORE["optional-dependencies"]["test"])
    own = {"ruffus_luigi"}
    for plugin in PLUGINS:
        meta = project(plugin / "pyproject.toml")
        declared |= requirement_names(meta.get("dependencies", [])) | {canonical(meta["name"])}
        own |= {d.name for d in plugin.iterdir() if (d / "__init__.py").exists()}
    files = [f for d in ("tests", "tools", "bench") for f in python_files(REPO / d)]
    files += [f for plugin in PLUGINS for f in python_files(plugin / "tests")]
    assert undeclared(files, declared, own) == []


@pytest.mark.timeout(60)
def test_the_check_sees_an_undeclared_import(tmp_path: Path):
    """The check itself: an import in the core of a distribution it does not declare (as plan.py once
    imported networkx) is caught."""
    module = REPO / "ruffus_luigi" / "_undeclared_probe.py"  # (under the repo: read, never imported)
    assert not module.exists()
    try:
        module.write_text("def f():\n    import pytest  # a test-only distribution\n")
        found = undeclared([module], requirement_names(CORE["dependencies"]), {"ruffus_luigi"})
    finally:
        module.unlink()
    assert found == ["ruffus_luigi/_undeclared_probe.py: pytest (pytest)"]
