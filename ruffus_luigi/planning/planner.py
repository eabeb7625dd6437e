"""A ``Planner``: one planning session's jobs per task and their up-to-date verdicts.

It is the context job sources see (``params.Context``: upstream outputs, globs, runtime
data, where warnings go), keeps each task's outputs once its jobs are made, and judges a
task up to date as Ruffus 3.0.0 does, job by job, with the plan cache's help.
"""

from __future__ import annotations

import os
from typing import Any

from ..checkpoints import CheckpointJob
from ..errors import exceptions as rx
from ..errors.job_errors import exception_tuple
from ..files import absent
from ..files.filenames import flatten_strings, non_str_sequence
from ..model.task import Task
from . import luigi_inputs
from .history_store import JobHistory
from .plan_cache import PlanCache
from .uptodate import params_need_update


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
        history: JobHistory,
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
            self.cache.read("outputs", (task.pipeline.name, task.name, keep_single), found)
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
            job = CheckpointJob(task.display_name, params, flatten_strings(params[0]), flatten_strings(params[1]))
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
            verdict = params_need_update(
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
    err = rx.RethrownJobError([exception_tuple(task.name, "")])
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
