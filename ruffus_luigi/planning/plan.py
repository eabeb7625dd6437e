"""Which tasks and jobs run: Ruffus' task order and up-to-date decision. No Luigi here.

The task order is Ruffus' depth-first post-order over parent edges; a task is
out of date when any of its jobs is, and in GNU make "maximal" mode everything
downstream of an out-of-date task runs too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..checkpoints import CheckpointJob
from ..errors import exceptions as rx
from ..errors.job_errors import exception_tuple
from ..files import absent
from ..files.filenames import flatten_strings, non_str_sequence
from ..model.pipeline import Pipeline, Task, lookup_pipeline, lookup_tasks_from_user_specified_names
from ..settings import config
from . import checksums, collector, luigi_inputs
from . import history as hist
from .params import build_job_source
from .plan_cache import PlanCache


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
    task._remove_all_parents()
    parents: set[Task] = set()
    for entry in task.deferred_follow_params:
        luigi_inputs.take_follows(task, entry)  # (Luigi tasks it follows: not Ruffus parents)
        new_tasks = task._connect_parents(*entry)
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


def is_single_job_single_output(task: Task) -> bool:
    """Whether the task stands for one output (merge, single-file transform ...)."""
    seen = set()
    flag: Any = task.single_job_single_output
    while isinstance(flag, Task) and flag not in seen:
        seen.add(flag)
        flag = flag.single_job_single_output
    return bool(flag) and not isinstance(flag, Task)


class Planner:
    """One planning session: runtime data, the job history and the tasks' cached outputs."""

    def __init__(
        self,
        runtime_data: dict,
        history: hist.JobHistory,
        checksum_level: int,
        verbose_abbreviated_path: int = 2,
    ) -> None:
        self.runtime_data = runtime_data
        self.history = history
        self.checksum_level = checksum_level
        self.verbose_abbreviated_path = verbose_abbreviated_path
        self.match_failures: dict[Task, dict[str, None]] = {}
        self.warnings: dict[Task, dict[str, None]] = {}
        self.completion_checks: list[Any] = []  # checkpoint strategies with a say (see checkpoints.base)
        self.cache: PlanCache | None = None  # jobs and verdicts of the last run (plan_cache)
        # Files stat'ed while no job of the run has started yet, for a second look to reuse
        # (a @split's outputs are looked at again as its dependant's inputs). None: every
        # look stats. pipeline_run sets it up; ``files_may_change`` ends it.
        self.seen: dict[str, Any] | None = None

    # -- the Context a job source sees ----------------------------------------
    def match_failure(self, task: Task, message: str) -> None:
        self.match_failures.setdefault(task, {})[message] = None
        if self.cache is not None:
            self.cache.note("match_failure", message)

    def warning(self, task: Task, message: str) -> None:
        self.warnings.setdefault(task, {})[message] = None
        if self.cache is not None:
            self.cache.note("warning", message)

    def glob(self, pattern: str) -> list[str]:
        """The files a glob in a task's parameters matches, sorted."""
        found = sorted(absent.glob(pattern))
        if self.cache is not None:
            self.cache.read("glob", pattern, found)
        return found

    def outputs(self, task: Task, keep_single: bool) -> Any:
        """A task's outputs as its dependants see them (Ruffus' ``_get_output_files``)."""
        if not task.is_active:
            found: Any = []
        else:
            if task.output_filenames is None:
                self._set_outputs(task, [params for params, _ in self.jobs(task)])
            if keep_single and is_single_job_single_output(task) and len(task.output_filenames):
                found = task.output_filenames[0]
            else:
                found = sorted(task.output_filenames, key=str)
        if self.cache is not None:
            self.cache.read("outputs", (task.pipeline.name, task._name, keep_single), found)
        return found

    def _set_outputs(self, task: Task, all_params: list) -> None:
        """Remember a task's outputs from the parameters of all its jobs."""
        outputs: list = []
        for params in all_params:
            if len(params) >= 2:
                if task.indeterminate_output and not non_str_sequence(params[1]):
                    outputs.append([params[1]])
                else:
                    outputs.append(params[1])
        if is_single_job_single_output(task) and len(all_params) > 1:
            raise rx.error_task_get_output(
                task,
                "Task which is supposed to produce a single output somehow has more than one job.",
            )
        if outputs and task.indeterminate_output:
            merged: list = []
            for o in outputs:
                merged = merged + list(o) if isinstance(merged, list) else merged + o
            outputs = merged
        task.output_filenames = outputs

    def files_may_change(self) -> None:
        """A job is about to run: from now on, every look at a file stats it."""
        self.seen = None

    # -- jobs ----------------------------------------------------------------
    def jobs(self, task: Task):
        """The task's jobs as ``(params, display_params)`` pairs."""
        self.match_failures[task] = {}
        if task.job_source is None:
            return iter(())
        if self.cache is not None:
            cached = self.cache.jobs(task, self)
            if cached is not None:
                return cached
        return task.job_source(self)

    def job_needs_update(
        self,
        task: Task,
        params: Any,
        dates: bool = False,
        history: Any = None,
        explain: bool = True,
        stats: dict[str, Any] | None = None,
    ) -> tuple[bool, str]:
        """Ruffus' per-job check: timestamps and history, directories, or the user's function.

        ``history`` replaces the planner's own connection (a forked worker needs its own).
        ``stats`` receives the files looked at, for the caller to reuse (default: ``seen``).
        A checkpoint strategy can make a job that looks up to date run (never the reverse).
        """
        if self.completion_checks and len(params) >= 2:
            job = CheckpointJob(task._get_display_name(), params, flatten_strings(params[0]), flatten_strings(params[1]))
            for strategy in self.completion_checks:
                if strategy.job_complete(job) is False:
                    return True, "Needed again by a job that must run (%s)" % strategy.name
        if task.uses_modify_time:
            cache = self.cache if not dates and len(params) >= 2 else None
            if stats is None and cache is not None:
                stats = {} if self.seen is None or history is not None else self.seen
            if cache is not None:
                if cache.known_up_to_date(task, params, stats):
                    return False, "Up to date"
                # out of date earlier in this run: upstream work only makes inputs newer
                # (not for rechecks with another connection: another run may have done it)
                if not explain and history is None and cache.known_stale(task, params):
                    return True, ""
            verdict = hist.params_need_update(
                params,
                task.user_defined_work_func,
                self.checksum_level,
                self.history if history is None else history,
                self.verbose_abbreviated_path,
                dates,
                explain,
                stats,
            )
            if cache is not None:
                if verdict[0]:
                    cache.mark_stale(task, params)
                else:
                    cache.remember(task, params, stats)
            return verdict
        if task.kind == "mkdir":
            return directories_missing(params)
        if task.needs_update_func is None:
            return True, ""
        return task.needs_update_func(*params)

    def verdicts(self, task: Task) -> PlanCache | None:
        """The plan cache if a verdict that holds settles a job of the task (``PlanCache.holds``).

        As ``job_needs_update`` would conclude: file times decide, and no checkpoint
        strategy has a say.
        """
        if not task.uses_modify_time or self.completion_checks:
            return None
        return self.cache

    def task_is_up_to_date(self, task: Task, logger: Any = None, verbose: int = 0) -> bool:
        """True when the task is inactive or every job is up to date.

        With a logger (``pipeline_run``), the task's warnings are logged when it is
        found up to date, as Ruffus does.
        """
        try:
            if not task.is_active:
                return True
            if task.needs_update_func is None and not task.uses_modify_time and task.kind != "mkdir":
                return False
            if luigi_inputs.any_incomplete(task):
                return False
            if task.job_source is None:
                if task.uses_modify_time:
                    return not self.job_needs_update(task, (), explain=False)[0]
                return not task.needs_update_func()[0]
            seen = []
            cache = self.verdicts(task)
            for i, (params, _) in enumerate(self.jobs(task)):
                held = cache is not None and cache.holds(task, i, params, self.seen)
                if not held and self.job_needs_update(task, params, explain=False)[0]:
                    return False
                seen.append(params)
            if task.output_filenames is None:  # spares dependants generating them again
                try:
                    self._set_outputs(task, seen)
                except rx.error_task_get_output:
                    pass  # raised when a dependant asks, as Ruffus does
            if logger is not None and verbose >= 1:
                for msg in self.warnings.get(task, {}):
                    logger.warning(
                        "    'In Task\n%s\n%s" % (task.description_with_args_placeholder % "...", msg)
                    )
            return True
        except rx.error_task as e:
            if type(e) is rx.error_task:
                raise
            raise generation_error(task) from e
        except Exception as e:
            raise generation_error(task) from e


def generation_error(task: Task) -> rx.RethrownJobError:
    """The exception being handled, raised while making ``task``'s jobs, wrapped as Ruffus does."""
    err = rx.RethrownJobError([exception_tuple(task._name, "")])
    err.specify_task(task, "Exceptions generating parameters")
    return err


def directories_missing(params: Any) -> tuple[bool, str]:
    """A mkdir job is out of date while any of its directories is missing."""
    if len(params) == 1:
        dirs = params[0]
    elif len(params) == 2:
        dirs = params[1]
    else:
        raise Exception("Wrong number of arguments in mkdir check %s" % (params,))
    missing = []
    for d in flatten_strings(dirs):
        if not os.path.exists(d):
            missing.append(d)
        elif not os.path.isdir(d):
            raise rx.error_not_a_directory("%s already exists but as a file, not a directory" % d)
    if len(missing) > 1:
        return True, ": Directories %r are missing" % ", ".join(missing)
    if missing:
        return True, ": Directories %r is missing" % missing[0]
    return False, "All directories exist"


# -- task order --------------------------------------------------------------
def _children(tasks: list[Task]) -> list[Task]:
    """The tasks and everything downstream of them (Ruffus' include_any_children)."""
    order, _ = _dfs(tasks, lambda t: t._outward, None)
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
        work = [(root, iter(root._inward))]
        while work:
            node, parents = work[-1]
            for p in parents:
                if p not in index:
                    index[p] = low[p] = len(index)
                    stack.append(p)
                    on_stack.add(p)
                    work.append((p, iter(p._inward)))
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
                    if len(component) > 1 or node in node._inward:
                        members.extend(component)
    return sorted(members, key=lambda t: t._name)


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
        order, cycle = _dfs(targets, lambda t: t._inward, None)
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
        order, cycle = _dfs(targets, lambda t: t._inward, None)
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

        order, cycle = _dfs(targets, lambda t: t._inward, stop)
    if cycle:
        raise circular_dependencies(targets)
    return order, [] if forced is True else uptodate


def circular_dependencies(targets: list[Task]) -> rx.error_circular_dependencies:
    names = ", ".join(t._name for t in _cycle_members(targets))
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
        planner.checksum_level >= hist.CHECKSUM_HISTORY_TIMESTAMPS
        and history.filename != hist.MEMORY
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
        checksum_level = hist.get_default_checksum_level()
    for p in Pipeline.pipelines.values():
        for t in p.task_order:
            t.checksum_level = checksum_level
    if checksum_level == hist.CHECKSUM_FILE_TIMESTAMPS and history_file is None:
        history_file = ":memory:"
    history = hist.open_job_history(history_file)
    for p in Pipeline.pipelines.values():
        for t in p.task_order:
            t._update_active_state()
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
