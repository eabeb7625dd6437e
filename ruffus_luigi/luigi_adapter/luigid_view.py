"""What luigid (and so its visualiser) shows of a Ruffus run: names, progress, errors, final states.

Luigi builds its view of a task from the task's family, its public parameters and what its
worker reports; this module shapes each of those for a Ruffus run:

- Names: a generated class's family is the Ruffus task name, made readable where the
  visualiser would show it mangled (``family_name``: a ``@mkdir``'s quotes come out as
  ``&#039;`` in the graph); the parameters only the implementation needs (the stage marker
  ``chunk``, ``run_id``, ``version``) are hidden, while the task id is still made from all of
  them (``task_id``): two runs, two working directories or two pipelines never share an id
  they should not share.
- Progress: a stage (a whole Ruffus task) tells luigid how many of its jobs are done
  (``"412/1000 jobs, 1 failed"`` and a percentage) as its chunks end, at most once a second
  per stage, from the driver (``StageView``): no call per job.
- Errors: a failed chunk's error is Ruffus' own text for its failed jobs (``failure_text``),
  not the traceback of Luigi's worker; a stage whose own job failed is reported FAILED as
  soon as one did, and at the run's end every stage of the run is DONE or FAILED (saying
  what it waited for), and so is every chunk that waited for a failed one: none is left
  PENDING or RUNNING.

Only a run on a luigid reports progress and final states: with the local scheduler nobody
else can see them, so nothing is sent.
"""

from __future__ import annotations

import html
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import luigi
import luigi.scheduler
import luigi.task

from ..errors import exceptions as rx
from ..execution.progress import jobs_to_run
from ..execution.run import Chunk, RunState
from . import luigid_http

HIDDEN = luigi.parameter.ParameterVisibility.HIDDEN
"""Visibility of the parameters only the implementation needs: not shown, still part of the id."""

STAGE_JOBS = "all"
"""The ``jobs`` label of a stage: it stands for all the Ruffus task's jobs (a chunk lists its own)."""

FAMILY_MAX = 40
"""Longest family shown: the visualiser's graph gives each node label 200 pixels."""

UPDATE_INTERVAL = 1.0
"""Seconds between two progress reports of one stage to luigid (its last one is sent at once)."""

ENDED = "the run ended before it (its output says why)"
INTERRUPTED = "the run was interrupted; run it again to do what is left"
"""Why a stage with no failed job of its own is FAILED when its run ends."""

INTERRUPT_PATIENCE = 2.0
"""Seconds the last reports of an interrupted run may wait for luigid (the user is waiting)."""

ERRORS_SHOWN = 5
"""Failed jobs a stage's error shows in full; the rest are counted."""

_UNSAFE = str.maketrans({"'": "", '"': "", "&": "+", "<": "(", ">": ")"})


def family_name(ruffus_name: str, taken: set[str]) -> str:
    """The Luigi family for a Ruffus task name: the name itself, unless the visualiser would mangle it.

    Its graph writes a family through ``escapeHtml`` into plain text, so quotes, ``&``,
    ``<`` and ``>`` would read as HTML entities (``mkdir('aligned')   before align`` becomes
    ``mkdir(&#039;aligned&#039;)   before align``): they are left out or replaced, runs of
    blanks become one, and a name longer than ``FAMILY_MAX`` is cut in its middle. Luigi
    finds a class by its family, so a name already ``taken`` by another Ruffus task gets a
    number. (Task ids are made from the Ruffus name as well: see ``task_id``.)
    """
    family = " ".join(ruffus_name.translate(_UNSAFE).split()) or "task"
    if len(family) > FAMILY_MAX:
        keep = (FAMILY_MAX - 1) // 2  # (an ellipsis, not "...": the visualiser groups families by their first ".")
        family = family[:keep].rstrip() + "\u2026" + family[-keep:].lstrip()
    unique, n = family, 2
    while unique in taken:
        unique, n = "%s #%d" % (family, n), n + 1
    return unique


def task_id(task: luigi.Task, ruffus_name: str) -> str:
    """A generated task's id: Luigi's, made from every parameter, hidden ones included.

    Luigi leaves hidden parameters out of a task's id; the run, the chunk's place and its
    version must stay in it (two runs at once, in two directories, would otherwise be one
    task for luigid). The Ruffus name joins them when the family differs from it.
    """
    params = {name: str(value) for name, value in task.param_kwargs.items()}  # (str and int parameters:
    # what ``to_str_params`` gives, at a sixth of its cost, which is per chunk)
    if ruffus_name != task.get_task_family():
        params["ruffus_task"] = ruffus_name
    return luigi.task.task_id_str(task.get_task_family(), params)


_pipelines: dict[tuple[str, str], str] = {}


def pipeline_label(workdir: str) -> str:
    """The running script, as its user names it: relative to the working directory when inside it.

    Part of each task's id and display: two pipelines with the same task names run in one
    directory are told apart, and two runs of one script started together still share
    their chunks. Worked out once per script and directory in a process (forked workers
    inherit it).
    """
    script = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    found = _pipelines.get((workdir, script))
    if found is None:
        if not script:
            found = "(no script)"
        else:
            where = os.path.realpath(workdir)
            path = os.path.realpath(os.path.join(workdir, script))
            found = os.path.relpath(path, where) if path.startswith(where + os.sep) else path
        _pipelines[(workdir, script)] = found
    return found


# -- errors -------------------------------------------------------------------------------
def ruffus_text(errors: list[tuple], most: int = ERRORS_SHOWN) -> str:
    """Ruffus' ``RethrownJobError`` text for these job errors: each job, its exception, its traceback."""
    err = rx.RethrownJobError(errors)
    parts = [_dedent(err.get_nth_exception_str(i)) for i in range(min(len(errors), most))]
    if len(errors) > most:
        parts.append("... and %d more failed jobs" % (len(errors) - most))
    return "\n".join(parts).strip() + "\n"


def _dedent(text: str) -> str:
    """``get_nth_exception_str`` indents its lines by four for the surrounding message: undone."""
    return "\n".join(line[4:] if line.startswith("    ") else line for line in text.strip("\n").split("\n"))


def failed_jobs(outcomes: list, jobs: int, most: int = 3) -> str:
    """``"1 of 5 jobs failed: [s007.reads -> aligned/s007.bam]"``: which of a chunk's jobs failed.

    HTML-escaped: the visualiser puts a status message into its page as HTML, and these
    name files, whose names a script (or whoever made them) chose.
    """
    names = [o.name.removeprefix("Job  = ") for o in outcomes if o.error or o.missing_input]
    shown = ", ".join(names[:most]) + (", ... %d more" % (len(names) - most) if len(names) > most else "")
    return html.escape("%d of %d jobs failed: %s" % (len(names), jobs, shown), quote=False)


def chunk_errors(chunk: Chunk) -> list[tuple]:
    """The Ruffus error tuples of a chunk's failed jobs (a missing input counts as one)."""
    return [o.error or o.missing_input for o in chunk.results() if o.error or o.missing_input]


def failure_text(task: Any, exception: BaseException) -> str | None:
    """What luigid shows as a generated task's error; None: Luigi's own (a traceback of ours).

    A chunk whose jobs failed: Ruffus' text for them. A stage that could not plan its
    jobs: the Ruffus exception it raised. Anything else is a fault of ruffus-luigi, whose
    traceback is what helps.
    """
    if task.chunk >= 0:
        errors = chunk_errors(task.planned_chunk())
        return ruffus_text(errors) if errors else None
    if isinstance(exception, rx.error_task):
        return str(exception).strip() + "\n"
    state = task.run_state()
    if state.stages.generation_error is not None:
        return str(state.stages.generation_error).strip() + "\n"
    if state.stages.stop or state.files.stopping():
        return "Ruffus task %r was not run: the pipeline stopped after an earlier failure\n" % task.ruffus_name
    return None


# -- progress and final states ----------------------------------------------------------------
class _Stage:
    """One stage's counts as its chunks end, and what luigid was last told of it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.ok = 0
        self.failed = 0
        self.by_chunk: dict[int, tuple[int, int]] = {}  # id(chunk) -> (ok, failed), so a chunk run again counts once
        self.shown = ""  # the status message luigid has
        self.when = float("-inf")  # (clock) when it was sent
        self.failed_shown = 0  # failed jobs when the stage was last reported FAILED


class StageView:
    """A run's stages as luigid shows them: progress while they run, a final state when the run ends.

    Fed by the driver's Luigi worker (``chunk_ended``, ``tick``); counts are kept per stage
    as chunks end, so a report costs nothing per job and no walk over the chunks.
    """

    def __init__(
        self,
        state: RunState,
        stage_of: Callable[[Any, RunState], luigi.Task],
        scheduler_of: Callable[[], Any],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = state
        self.scheduler_of = scheduler_of  # the run's Luigi scheduler (made by Luigi's build)
        self.stage_of = stage_of
        self.clock = clock
        self.stages: dict[Any, _Stage] = {}
        self.active: dict[Any, _Stage] = {}  # planned stages whose last report is still to come
        self.known = 0  # how many of ``state.planned`` (in planning order) are in ``stages``
        self.worker_id: str | None = None
        self.luigi_failed: set[str] = set()  # stages Luigi reported FAILED itself (their run raised)

    def _stage(self, task: Any) -> _Stage:
        found = self.stages.get(task)
        if found is None:
            found = self.stages[task] = _Stage(jobs_to_run(self.state.stages.planned.get(task, [])))
        return found

    def chunk_ended(self, chunk: Chunk) -> None:
        outcomes = chunk.results()
        failed = sum(1 for o in outcomes if o.error or o.missing_input)
        ok = sum(1 for o in outcomes if o.ran and not o.error)
        if failed:  # the chunk's own status message names the failed jobs (one call per failed chunk)
            self.scheduler_of().set_task_status_message(
                task_id=chunk.luigi_task.task_id, status_message=failed_jobs(outcomes, len(chunk.to_run()))
            )
        stage = self._stage(chunk.task)
        old_ok, old_failed = stage.by_chunk.get(id(chunk), (0, 0))
        stage.by_chunk[id(chunk)] = (ok, failed)
        stage.ok += ok - old_ok
        stage.failed += failed - old_failed

    def message(self, task: Any) -> tuple[str, int]:
        """``"412/1000 jobs, 1 failed"`` and its percentage."""
        stage = self._stage(task)
        ok, failed, total = stage.ok, stage.failed, stage.total
        if task in self.state.stages.finished and not failed:
            ok = total  # (jobs another run sharing luigid did count as done)
        text = "%d/%d jobs" % (ok, total) + (", %d failed" % failed if failed else "")
        return text, 100 if total == 0 else min(100, (ok + failed) * 100 // total)

    def tick(self, final: bool = False) -> None:
        """Send the reports due: a stage's when it changed, at most every ``UPDATE_INTERVAL``; its last at once."""
        now = self.clock()
        planned = self.state.stages.planned
        if len(planned) > self.known:  # (stages planned since: tasks are only ever added to it)
            for task in list(planned)[self.known:]:
                self.active[task] = self._stage(task)
            self.known = len(planned)
        for task, stage in list(self.active.items()):
            done = task in self.state.stages.finished
            if not (final or done) and (now - stage.when < UPDATE_INTERVAL or not stage.by_chunk):
                continue  # (nothing to say before its first chunk ends)
            self._send(task, stage, now)
            if done or final:
                del self.active[task]

    def _send(self, task: Any, stage: _Stage, now: float) -> None:
        text, percent = self.message(task)
        if text == stage.shown:
            return
        stage.shown, stage.when = text, now
        scheduler, task_id = self.scheduler_of(), self.stage_of(task, self.state).task_id
        scheduler.set_task_status_message(task_id=task_id, status_message=text)
        scheduler.set_task_progress_percentage(task_id=task_id, progress_percentage=percent)
        if stage.failed and stage.failed != stage.failed_shown and task not in self.state.stages.finished:
            self._fail(task_id, self._own_failure(task))  # at once: no need to wait for the run's end
            stage.failed_shown = stage.failed

    def _own_failure(self, task: Any) -> str:
        return ruffus_text([e for c in self.state.stages.planned.get(task, []) for e in chunk_errors(c)])

    def _fail(self, task_id: str, text: str) -> None:
        """Report a task FAILED: a stage (its id is this run's alone) or a chunk no run can run now."""
        if self.worker_id is not None:
            self.scheduler_of().add_task(
                worker=self.worker_id, task_id=task_id, status=luigi.scheduler.FAILED, expl=json.dumps(text),
                runnable=False,
            )

    def run_ended(self, why: str = ENDED) -> None:
        """The last reports, and none of the run's tasks left PENDING or RUNNING in luigid.

        A stage whose own job failed is FAILED with Ruffus' text; one that waited behind a
        failed one, and the chunks waiting for a failed chunk's outputs (no run sharing them
        can run them before that chunk is run again, which makes them pending again), are
        FAILED saying which Ruffus task they waited for. (luigid would show them
        UPSTREAM_FAILED, but keeps them PENDING, and the visualiser counts them as pending.)
        """
        self.tick(final=True)
        state = self.state
        failed: dict[Any, str] = {}  # unfinished stage -> why it, and those after it, did not finish
        for task in state.incomplete:
            if task in state.stages.finished:
                continue
            name = task.display_name
            chunks = state.stages.planned.get(task, [])
            task_id = self.stage_of(task, state).task_id
            before = _failed_before(task, chunks, state, failed)
            if any(chunk_errors(c) for c in chunks):
                failed[task] = "Ruffus task %r failed" % name
                self._fail(task_id, self._own_failure(task))
            elif before is not None:
                failed[task] = before
                if task_id not in self.luigi_failed:
                    self._fail(task_id, "Ruffus task %r did not finish: %s\n" % (name, before))
            else:
                failed[task] = "Ruffus task %r did not finish" % name
                if task_id not in self.luigi_failed:
                    self._fail(task_id, "Ruffus task %r did not finish: %s\n" % (name, why))
            memo: dict[int, str | None] = {}
            for c in chunks:
                if c.yielded and not chunk_errors(c) and _chunk_failure(c, memo) and not c.complete():
                    self._fail(c.luigi_task.task_id, "These jobs of Ruffus task %r were not run: %s\n"
                               % (name, _chunk_failure(c, memo)))


def _chunk_failure(chunk: Chunk, memo: dict[int, str | None]) -> str | None:
    """Why the chunk is FAILED in luigid, or waits behind one that is (the Ruffus task that failed); None."""
    if id(chunk) not in memo:
        memo[id(chunk)] = None  # (no cycles; a guard all the same)
        if chunk_errors(chunk):
            memo[id(chunk)] = "a job of Ruffus task %r making their input failed" % chunk.task.display_name
        else:
            memo[id(chunk)] = next((f for u in chunk.upstream if (f := _chunk_failure(u, memo))), None)
    return memo[id(chunk)]


def _failed_before(task: Any, chunks: list[Chunk], state: RunState, failed: dict[Any, str]) -> str | None:
    """What this stage waited behind and failed, if anything: its chunks' inputs, or a stage it requires."""
    memo: dict[int, str | None] = {}
    for c in chunks:
        found = _chunk_failure(c, memo) if c.yielded else None
        if found is not None:
            return found
    return next((failed[p] for p in state.stages.stage_requirements(task) if p in failed), None)


# -- the driver's hooks (the worker in ``worker``, the run in ``launch``) -------------------------
_views: dict[str, StageView] = {}


def watch(state: RunState, stage_of: Callable[[Any, RunState], luigi.Task], scheduler_of: Callable[[], Any]) -> None:
    """Report this run's stages to luigid from now on (nothing with the local scheduler)."""
    if state.options.scheduler.shared:
        _views[state.run_id] = StageView(state, stage_of, scheduler_of)


def chunk_ended(luigi_task: Any) -> None:
    """The driver's worker got a chunk's result."""
    if _views and getattr(luigi_task, "chunk", -1) >= 0:
        chunk = luigi_task.planned_chunk()
        view = _views.get(chunk.state.run_id)
        if view is not None and chunk.state.pid == os.getpid():
            view.chunk_ended(chunk)


def tick(worker_id: str) -> None:
    """The driver's worker (``worker_id``) is between two tasks: send the reports due."""
    for view in list(_views.values()):
        if view.state.pid == os.getpid():
            view.worker_id = worker_id
            view.tick()


def stage_failed(luigi_task: Any) -> None:
    """Luigi reports a stage FAILED itself (its ``run`` raised): its error stays Luigi's report."""
    for view in _views.values():
        if view.state.pid == os.getpid():
            view.luigi_failed.add(luigi_task.task_id)


def interrupted(state: RunState) -> None:
    """Ctrl-C (or SIGTERM) ended the run: its stages' last reports, each luigid call given a moment only.

    Luigi's own client (an https luigid) tries a call for a minute: then nothing is sent.
    The chunks it was running stay RUNNING in luigid until it fails them (another run
    takes them over before: see ``worker``).
    """
    view = _views.pop(state.run_id, None)
    scheduler = view.scheduler_of() if view is not None else None
    if view is None or not isinstance(scheduler, luigid_http.RemoteScheduler):
        return
    scheduler.patience = min(scheduler.patience, INTERRUPT_PATIENCE)
    try:
        view.run_ended(INTERRUPTED)
    except Exception:  # noqa: BLE001 - the interruption is what the user is told about
        pass


def forget(state: RunState) -> None:
    """The run is over (or interrupted): report nothing more of it."""
    _views.pop(state.run_id, None)


def run_ended(state: RunState) -> None:
    """The run's Luigi build is over: final reports and states, then forget the run."""
    view = _views.pop(state.run_id, None)
    if view is not None:
        try:
            view.run_ended()
        except Exception:  # noqa: BLE001 - a luigid gone at the end must not hide how the run itself ended
            pass
