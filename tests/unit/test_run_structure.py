"""The parts of a run keep their own state: no module assigns to a run's or its parts' attributes.

A run was once a blackboard (``RunState`` with ~40 attributes written from ``pipeline_run``,
the launch, the progress display and the generated tasks). Its parts now change their own
state only, through their methods; these tests keep it so.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ruffus_luigi"
RUN_MODULES = sorted(
    [PACKAGE / "api" / "pipeline_run.py", *(PACKAGE / "execution").glob("*.py"), *(PACKAGE / "luigi_adapter").glob("*.py")]
)
SHARED = {"state", "chunk", "options", "stages", "executor", "files", "progress"}
"""Names a module holds another object of the run by (``chunk.state``, ``state.stages``...);
as an attribute of ``self``, also ``run`` (``self.run``: elsewhere a name for other runs)."""


def _chain(node: ast.expr) -> list[str]:
    """``a.b.c`` as ["a", "b", "c"] (empty when it does not start with a name)."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    return [node.id, *reversed(names)]


def _writes_to_the_run(path: Path) -> list[str]:
    """Assignments to an attribute of an object of the run reached through another object."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            chain = _chain(target) if isinstance(target, ast.Attribute) else []
            held = chain[1:-1] if chain[:1] == ["self"] else chain[:-1]  # what the attribute belongs to
            if any(name in SHARED or (name == "run" and chain[0] == "self") for name in held):
                found.append("%s:%d: %s" % (path.relative_to(PACKAGE), node.lineno, ".".join(chain)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" and node.args:
            if any(name in SHARED for name in _chain(node.args[0])):
                found.append("%s:%d: setattr(%s)" % (path.relative_to(PACKAGE), node.lineno, ".".join(_chain(node.args[0]))))
    return found


@pytest.mark.timeout(30)
def test_no_module_assigns_to_the_attributes_of_the_run_or_its_parts() -> None:
    assert [w for path in RUN_MODULES for w in _writes_to_the_run(path)] == []


@pytest.mark.timeout(30)
def test_the_run_modules_stay_under_500_lines() -> None:
    assert {p.name: n for p in RUN_MODULES if (n := len(p.read_text().splitlines())) > 500} == {}
