"""Which tasks run: the tasks wired up, Ruffus' task order, and a planning session. No Luigi here.

The task order is Ruffus' depth-first post-order over parent edges; a task is
out of date when any of its jobs is (``planner.Planner`` judges them), and in GNU
make "maximal" mode everything downstream of an out-of-date task runs too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import exceptions as rx
from ..model.pipeline import Pipeline, lookup_pipeline, lookup_tasks_from_user_specified_names
from ..model.task import Task
from ..model.task_references import connect_parents
from ..settings import config
from . import checksums, collector, luigi_inputs
from .history_settings import (
    CHECKSUM_FILE_TIMESTAMPS,
    CHECKSUM_HISTORY_TIMESTAMPS,
    get_default_checksum_level,
)
from .history_store import MEMORY, open_job_history
from .params import build_job_source
from .plan_cache import PlanCache
from .planner import Planner


def complete_setup(pipelines: list[Pipeline]) -> None:
    """Wire every task's parents and job source, following links into other pipelines."""
    done: set[Task] = set()
    done_pipelines: set[str] = set()
    todo = list(pipelines)
    while todo:
        pipeline = todo.pop(0)
        if pipeline.name in done_pipelines:
            continue
        done_pipelines.add(pipeline.name)
        queue = list(pipeline.task_order)
        while queue:
            task = queue.pop(0)
            if task in done:
                continue
            done.add(task)
            for parent in complete_task_setup(task):
                if parent not in done:
                    queue.append(parent)
                    if parent.pipeline.name not in done_pipelines:
                        todo.append(parent.pipeline)


def complete_task_setup(task: Task) -> set[Task]:
    """Connect a task's parents and build its job source; returns the parent tasks."""
    task.remove_all_parents()
    parents: set[Task] = set()
    for entry in task.deferred_follow_params:
        luigi_inputs.take_follows(task, entry)  # (Luigi tasks it follows: not Ruffus parents)
        new_tasks = connect_parents(task, *entry)
        entry[2] = new_tasks
        parents.update(new_tasks)
    parents |= build_job_source(task)
    luigi_inputs.add_follows(task)
    if "named_extras" in task.parsed_args:
        callback = task.command_str_callback
        if callback == "PIPELINE":
            callback = task.pipeline.command_str_callback
        task.parsed_args["named_extras"]["__RUFFUS_TASK_CALLBACK__"] = callback
    return parents


# -- task order --------------------------------------------------------------
def _children(tasks: list[Task]) -> list[Task]:
    """The tasks and everything downstream of them (Ruffus' include_any_children)."""
    order, _ = _dfs(tasks, lambda t: t.children, None)
    return order


def _dfs(
    starts: list[Task],
    edges: Callable[[Task], list[Task]],
    stop_before: Callable[[Task], bool] | None,
) -> tuple[list[Task], bool]:
    """Post-order depth-first search; returns (finished order, found a cycle)."""
    colour: dict[Task, int] = {}
    finished: list[Task] = []
    cycle = False

    def visit(root: Task) -> None:
        nonlocal cycle
        colour[root] = 1
        if stop_before and stop_before(root):
            colour[root] = 2
            return
        stack = [(root, iter(edges(root)))]
        while stack:
            node, it = stack[-1]
            for v in it:
                if stop_before and stop_before(v):
                    colour[v] = 2
                    continue
                c = colour.get(v, 0)
                if c == 0:
                    colour[v] = 1
                    stack.append((v, iter(edges(v))))
                    break
                if c == 1:
                    cycle = True
            else:
                stack.pop()
                colour[node] = 2
                finished.append(node)

    for s in starts:
        if colour.get(s, 0) == 0:
            visit(s)
    return finished, cycle


def _cycle_members(tasks: list[Task]) -> list[Task]:
    """Tasks on a dependency cycle: those of a strongly connected component of several tasks, or
    depending on themselves (Tarjan's algorithm, iterative, over the tasks reachable from ``tasks``)."""
    index: dict[Task, int] = {}
    low: dict[Task, int] = {}
    on_stack: set[Task] = set()
    stack: list[Task] = []
    members: list[Task] = []
    for root in tasks:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(root.parents))]
        while work:
            node, parents = work[-1]
            for p in parents:
                if p not in index:
                    index[p] = low[p] = len(index)
                    stack.append(p)
                    on_stack.add(p)
                    work.append((p, iter(p.parents)))
                    break
                if p in on_stack:
                    low[node] = min(low[node], index[p])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        t = stack.pop()
                        on_stack.discard(t)
                        component.append(t)
                        if t is node:
                            break
                    if len(component) > 1 or node in node.parents:
                        members.extend(component)
    return sorted(members, key=lambda t: t.name)


def tasks_to_run(
    planner: Planner,
    targets: list[Task],
    forced: list[Task] | bool,
    maximal: bool,
    logger: Any = None,
    verbose: int = 0,
) -> tuple[list[Task], list[Task]]:
    """(tasks to run in order, up-to-date tasks met on the way), as Ruffus decides them."""

    def up_to_date(t: Task) -> bool:
        return planner.task_is_up_to_date(t, logger, verbose)

    if maximal:
        order, cycle = _dfs(targets, lambda t: t.parents, None)
        if cycle:
            raise circular_dependencies(targets)
        if forced is True:
            return order, []
        include = set(_children(list(forced))) if forced else set()
        uptodate = []
        for t in order:
            if t in include:
                continue
            if not up_to_date(t):
                include.update(_children([t]))
            else:
                uptodate.append(t)
        return [t for t in order if t in include], uptodate
    if forced is True:
        order, cycle = _dfs(targets, lambda t: t.parents, None)
    else:
        must = set(_children(list(forced))) if forced else set()
        uptodate: list[Task] = []

        def stop(t: Task) -> bool:
            if t in must:
                return False
            if up_to_date(t):
                uptodate.append(t)
                return True
            return False

        order, cycle = _dfs(targets, lambda t: t.parents, stop)
    if cycle:
        raise circular_dependencies(targets)
    return order, [] if forced is True else uptodate


def circular_dependencies(targets: list[Task]) -> rx.error_circular_dependencies:
    names = ", ".join(t.name for t in _cycle_members(targets))
    return rx.error_circular_dependencies(
        "Circular dependencies found in the pipeline involving one or more of (%s)" % (names,)
    )


def use_plan_cache(planner: Planner) -> None:
    """Reuse the last run's jobs and verdicts (``plan_cache``) when the history is a file.

    RUFFUS_LUIGI_PLAN_CACHE=0 turns it off. The loaded entries last the run, out of the
    garbage collector's passes (``collector``): the caller thaws them when it ends.
    """
    history = planner.history
    if (
        planner.checksum_level >= CHECKSUM_HISTORY_TIMESTAMPS
        and history.filename != MEMORY
        and config.plan_cache_enabled()
    ):
        with collector.long_lived():
            planner.cache = PlanCache(history, planner.checksum_level)


# -- preparing a run or a printout ---------------------------------------------
class Session:
    """Everything ``pipeline_run``/``pipeline_printout`` share before they differ."""

    def __init__(
        self,
        planner: Planner,
        pipeline: Pipeline,
        targets: list[Task],
        forced: list[Task],
    ) -> None:
        self.planner = planner
        self.pipeline = pipeline
        self.targets = targets
        self.forced = forced
        self.named_targets: list[Task] = []  # the targets the caller named (none: every task is one)


def prepare(
    checksum_level: int | None,
    history_file: str | None,
    pipeline: Any,
    runtime_data: dict | None,
    target_tasks: Any,
    forcedtorun_tasks: Any,
    verbose_abbreviated_path: int = 2,
) -> Session:
    """Check the arguments, wire the tasks and open the history (Ruffus' prepare-to-run)."""
    checksums.compute_now(
        t.user_defined_work_func for p in Pipeline.pipelines.values() for t in p.task_order
    )
    if checksum_level is None:
        checksum_level = get_default_checksum_level()
    for p in Pipeline.pipelines.values():
        for t in p.task_order:
            t.checksum_level = checksum_level
    if checksum_level == CHECKSUM_FILE_TIMESTAMPS and history_file is None:
        history_file = ":memory:"
    history = open_job_history(history_file)
    for p in Pipeline.pipelines.values():
        for t in p.task_order:
            t.update_active_state()
    if runtime_data is None:
        runtime_data = {}
    if not isinstance(runtime_data, dict):
        raise Exception(
            "Parameter runtime_data should be a dictionary of values passes to jobs at run time."
        )
    default_name = lookup_pipeline(pipeline).name if pipeline is not None else "main"
    targets = lookup_tasks_from_user_specified_names(
        "Target", target_tasks or [], default_name, "__main__", True
    )
    forced = lookup_tasks_from_user_specified_names(
        "Forced to run", forcedtorun_tasks or [], default_name, "__main__", True
    )
    named_targets = list(targets)
    if not targets:
        if pipeline is not None:
            targets.extend(lookup_pipeline(pipeline).task_order[::-1])
        if not targets:
            for p in Pipeline.pipelines.values():
                targets.extend(p.task_order[::-1])
    pipeline = lookup_pipeline(pipeline)
    targets = list(dict.fromkeys(targets))
    wanted = {t.pipeline.name: t.pipeline for t in forced + targets}
    complete_setup(list(wanted.values()))
    planner = Planner(runtime_data, history, checksum_level, verbose_abbreviated_path)
    session = Session(planner, pipeline, targets, forced)
    session.named_targets = named_targets
    return session
