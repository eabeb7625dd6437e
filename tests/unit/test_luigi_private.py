"""Luigi's private names that ruffus-luigi relies on exist in the installed Luigi, as relied on.

An upgrade of Luigi that renames or reshapes one fails here, naming it and why it is used,
rather than in a run. And no module but ``luigi_adapter.luigi_private`` touches them.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import luigi
import luigi.execution_summary
import luigi.rpc
import luigi.scheduler
import luigi.worker
import pytest

from ruffus_luigi.luigi_adapter import luigi_private, luigi_random, slots

ROOT = Path(__file__).resolve().parents[2]


def _problems() -> list[str]:
    """One line per name of ``PRIVATE`` the installed Luigi lacks or has with other parameters."""
    worker = luigi.worker.Worker(scheduler=luigi.scheduler.Scheduler(), worker_id="signature-check")
    instances = {luigi.worker.Worker: worker, luigi.rpc.RemoteScheduler: luigi.rpc.RemoteScheduler("http://127.0.0.1:9/")}
    problems = []
    for private in luigi_private.PRIVATE:
        owner = instances[private.owner] if private.on_instance else private.owner
        where = "%s.%s" % (getattr(private.owner, "__qualname__", private.owner.__name__), private.name)
        if not hasattr(owner, private.name):
            problems.append("Luigi %s has no %s (used for: %s)" % (luigi.__version__, where, private.why))
        elif private.parameters is not None:
            found = tuple(inspect.signature(getattr(private.owner, private.name)).parameters)
            if found != private.parameters:
                problems.append(
                    "Luigi %s: %s takes %s, ruffus-luigi passes %s (used for: %s)"
                    % (luigi.__version__, where, found, private.parameters, private.why)
                )
    return problems


@pytest.mark.timeout(30)
def test_every_private_name_exists_with_the_parameters_relied_on() -> None:
    problems = _problems()
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(30)
def test_a_renamed_or_reshaped_private_method_is_named_with_why(monkeypatch) -> None:
    monkeypatch.delattr(luigi.worker.Worker, "_keep_alive")
    monkeypatch.setattr(luigi.rpc, "_urljoin", lambda base, url, extra: base)
    problems = _problems()
    assert len(problems) == 2, problems
    assert problems[0].startswith("Luigi %s has no Worker._keep_alive (used for: " % luigi.__version__)
    assert "_urljoin takes ('base', 'url', 'extra'), ruffus-luigi passes ('base', 'url')" in problems[1]


class _Trivial(luigi.Task):
    def run(self) -> None:
        pass


@pytest.mark.timeout(30)
def test_a_slot_run_has_what_luigi_uses_of_a_task_process() -> None:
    """Luigi's worker handles what ``_create_task_process`` returns through these (see luigi_private)."""
    worker = luigi.worker.Worker(scheduler=luigi.scheduler.Scheduler(), worker_id="slot-check")
    process = luigi_private.luigi_task_process(worker, _Trivial())
    used = ["task", "use_multiprocessing", "is_alive", "exitcode", "pid", "terminate", "join",
            "timeout_time", "worker_timeout", "status_reporter", "start", "run"]
    assert [n for n in used if not hasattr(process, n)] == []
    stand_in = slots.SlotRun(None, process, b"")  # (always use_multiprocessing: started, never run())
    assert stand_in.use_multiprocessing
    assert [n for n in used if n != "run" and not hasattr(stand_in, n)] == []
    assert {"task_id", "running_tasks"} <= set(luigi.worker.GetWorkResponse._fields)


@pytest.mark.timeout(30)
def test_luigis_execution_summary_and_dynamic_requirements_are_as_relied_on() -> None:
    worker = luigi.worker.Worker(scheduler=luigi.scheduler.Scheduler(), worker_id="summary-check")
    assert luigi_private.EXECUTION_SUMMARY_HEADER in luigi.execution_summary.summary(worker)
    assert isinstance(inspect.getattr_static(luigi.task.DynamicRequirements, "paths"), property)
    assert "requires.paths" in inspect.getsource(luigi.worker.TaskProcess)


@pytest.mark.timeout(30)
def test_luigi_draws_random_numbers_through_the_module_name_replaced() -> None:
    for module in luigi_private.RANDOM_DRAWING_MODULES:
        assert module.random is luigi_random.LUIGI_RANDOM, module.__name__
        assert "random." in inspect.getsource(module), module.__name__


def _private_uses(path: Path) -> list[str]:
    """Where a file names one of ``PRIVATE``'s names, or an underscored name under ``luigi.``."""
    names = {p.name for p in luigi_private.PRIVATE}
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in names:
            found.append("%s:%d: .%s" % (path, node.lineno, node.attr))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            found.append("%s:%d: def %s" % (path, node.lineno, node.name))
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            chain = node.value
            while isinstance(chain, ast.Attribute):
                chain = chain.value
            if isinstance(chain, ast.Name) and chain.id == "luigi":
                found.append("%s:%d: luigi...%s" % (path, node.lineno, node.attr))
    return found


@pytest.mark.timeout(60)
def test_only_luigi_private_touches_luigis_private_names() -> None:
    sources = [p for folder in ("ruffus_luigi", "plugins", "tests", "tools", "bench") for p in (ROOT / folder).rglob("*.py")]
    allowed = {(ROOT / "ruffus_luigi" / "luigi_adapter" / "luigi_private.py").resolve(), Path(__file__).resolve()}
    uses = [use for path in sources if path.resolve() not in allowed for use in _private_uses(path)]
    assert uses == []
