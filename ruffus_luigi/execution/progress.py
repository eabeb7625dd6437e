"""A run's progress: one live status line on a terminal, or plain lines in a log.

``[ruffus-luigi] tasks 3/7  jobs 1204/30011+  running 4  failed 0  elapsed 0:12  ETA 4:51``

- *tasks*: Ruffus tasks finished / to run. *jobs*: jobs that ran / jobs to run (up-to-date
  jobs are not counted); a task's jobs are known once it is planned, so ``+`` marks a total
  still missing the tasks not planned yet (the ETA is then a lower bound too). *running*:
  jobs being run now (one per busy Luigi worker: a chunk runs its jobs one after another;
  with ``multithread`` up to that many). *failed*: jobs that raised.
- The driver learns about jobs chunk by chunk (Luigi worker events in ``translate``:
  a chunk started, a chunk's result came back), so nothing here runs per job.

When, and where (``RUFFUS_LUIGI_PROGRESS`` > ``[ruffus_luigi] progress``: ``auto``
(default), ``1``, ``0``):

- Only when ``sys.stdout`` is a terminal is there a live line: someone is watching. A run
  whose output a program captures (a pipe, a file, CI, a batch system) is left exactly
  as Ruffus would leave it under ``auto``: not one byte added.
- The live line is drawn on ``stderr`` (``stdout`` if only that is a terminal): that is
  where Ruffus' own messages go, so erasing the line and printing a message is one
  write to one stream, in order, while ``stdout`` stays the pipeline's own output.
  It is redrawn at most 5 times a second with ``\\r`` + clear-to-end-of-line, never
  longer than the terminal is wide (a wrapped line could not be erased), and erased
  before anything else the driver writes: Ruffus' messages (the run's logger is
  wrapped, whatever it is: ``stderr_logger``, a ``logging.Logger``, ``proxy_logger``)
  and ``sys.stdout``/``sys.stderr`` (jobs run in the driver, warnings). Forked workers
  inherit those wrappers and clear the line before each line they start, and hold a
  lock while ``proxy_logger``'s server writes one of theirs (the driver skips a redraw
  meanwhile). Output that bypasses Python's streams (a shell command's) can still
  land after the line.
- The live line is shown at every verbosity, since it disappears; the last state stays
  on the screen as a final line at verbose >= 1, and is erased at verbose 0, which
  leaves the terminal as Ruffus would.
- ``1`` with no terminal: a plain line on stderr every 10 seconds and a final one, with
  no escape codes (for the log of a long batch run). ``0``: nothing, ever.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TextIO

from ..model.loggers import black_hole_logger
from . import progress_text
from .progress_streams import GuardedStream, isatty, same_terminal
from .progress_text import MAX_TASK_LINES

ERASE = "\r\x1b[K"  # back to the line's start, clear to its end
UP_ERASE = "\x1b[A\x1b[K"  # up one line, clear it (the live display's lines above its last)
LIVE_INTERVAL = 0.2  # s between redraws of the live line
PLAIN_INTERVAL = 10.0  # s between plain lines

_active: Progress | None = None


class Progress:
    """What a run has done so far, and its one rendering (live line or plain lines).

    Owned by the driver; fed ``stage_planned``, ``task_finished``, ``chunk_started`` and
    ``chunk_finished``; ``update`` draws when the rendering's interval allows.
    """

    def __init__(
        self,
        stream: TextIO,
        live: bool,
        tasks_total: int,
        keep_final: bool = True,
        clock: Callable[[], float] = time.monotonic,
        width: Callable[[], int] | None = None,
        per_task: bool = False,
        run: Any = None,
    ) -> None:
        self.stream = stream
        self.per_task = per_task
        self.live = live
        self.keep_final = keep_final
        self.clock = clock
        self.width = width or self._terminal_width
        self.pid = os.getpid()
        self.thread = threading.get_ident()
        self.tasks_total = tasks_total
        self.tasks_done = 0
        self.jobs_total = 0
        self.jobs_done = 0
        self.failed = 0
        self.running = 0
        self.known: set[Any] = set()  # tasks whose jobs are counted in jobs_total
        self._running: dict[Any, tuple[int, Any]] = {}  # chunk key -> (jobs running, its task)
        self.task_jobs: dict[Any, list[int]] = {}  # task -> [done, to run, failed, running] (per_task)
        # lines of the live display on the screen (per_task; shared with forked workers once installed)
        self.height: Any = SimpleNamespace(value=1) if per_task else None
        self.started = clock()
        self.first_chunk: float | None = None
        self.drawn = False  # the live line is on the screen
        self.at_line_start = True  # nothing half-written on the terminal's current line
        self.last_draw = float("-inf") if live else self.started
        self.closed = False
        self.run = run  # the RunState whose chunks count
        self.lock: Any = None  # held by a worker while its line is written elsewhere (live)
        self.locked = False
        self._undo: list[Callable[[], None]] = []
        self._guarded: list[GuardedStream] = []  # sys.stdout/sys.stderr while installed

    # -- events ---------------------------------------------------------------------
    def stage_planned(self, task: Any, jobs: int) -> None:
        if task not in self.known:
            self.known.add(task)
            self.jobs_total += jobs
            if self.per_task:
                self._task(task)[1] += jobs
        self.update()

    def planned(self, task: Any, chunks: list) -> None:
        """A task's jobs were cut into chunks."""
        self.stage_planned(task, jobs_to_run(chunks))

    def task_finished(self, task: Any) -> None:
        self.known.add(task)  # (an inactive task is never planned)
        self.tasks_done += 1
        self.update()

    def chunk_started(self, key: Any, jobs: int = 1, task: Any = None) -> None:
        if self.first_chunk is None:
            self.first_chunk = self.clock()
        self._running[key] = (jobs, task)
        self.running += jobs
        if self.per_task and task is not None:
            self._task(task)[3] += jobs
        self.update()

    def chunk_finished(self, key: Any, ok: int, failed: int) -> None:
        jobs, task = self._running.pop(key, (0, None))
        self.running -= jobs
        self.jobs_done += ok
        self.failed += failed
        if self.per_task and task is not None:
            counts = self._task(task)
            counts[0] += ok
            counts[2] += failed
            counts[3] -= jobs
        self.update()

    def _task(self, task: Any) -> list[int]:
        counts = self.task_jobs.get(task)
        if counts is None:
            counts = self.task_jobs[task] = [0, 0, 0, 0]
        return counts

    # -- rendering --------------------------------------------------------------------
    def text(self, final: bool = False, width: int = 0) -> str:
        """The status line; with ``width``, the first of ever shorter forms that fits in it."""
        return progress_text.status_line(self, self.clock(), final, width)

    def task_lines(self, width: int = 0, most: int = MAX_TASK_LINES) -> list[str]:
        """``per_task``: one line per task with jobs running now, ``most`` lines at most."""
        return progress_text.task_lines(self, width, most)

    def erase_text(self) -> str:
        """What takes the live display off the screen: its bottom line, then each line above it."""
        height = self.height.value if self.height is not None else 1
        return ERASE + UP_ERASE * max(height - 1, 0)

    def _drawn_height(self, lines: int) -> None:
        if self.height is not None:
            self.height.value = lines

    def update(self, force: bool = False) -> None:
        """Draw if the interval has passed (live: only while no line is half-written)."""
        if self.closed or threading.get_ident() != self.thread:
            return  # (jobs run in threads under ``multithread``: only the driver's thread draws)
        now = self.clock()
        interval = LIVE_INTERVAL if self.live else PLAIN_INTERVAL
        if not force and now - self.last_draw < interval:
            return
        if self.live:
            if not self.at_line_start:
                return
            if self.lock is not None and not self.lock.acquire(block=False):
                return  # a worker is printing a line through proxy_logger's server: later
            try:
                width = self.width()
                block = [self._fit()] + self.task_lines(width, min(MAX_TASK_LINES, self._terminal_rows() - 2))
                self._write((self.erase_text() if self.drawn else ERASE) + "\n".join(block))
                self._drawn_height(len(block))
            finally:
                if self.lock is not None:
                    self.lock.release()
            self.drawn = True
        else:
            self._write("".join(line + "\n" for line in [self.text()] + self.task_lines()))
        self.last_draw = now

    def _fit(self, final: bool = False) -> str:
        """The live line in fewer columns than the terminal has (a wrapped line could not be erased)."""
        width = self.width()
        line = self.text(final, width)
        return line[: width - 1] if width > 1 else line

    def _terminal_width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
        return columns or 80

    def _terminal_rows(self) -> int:
        """Lines of the terminal (24 when unknown): the display must not be taller, or it could not be erased."""
        try:
            rows = os.get_terminal_size(self.stream.fileno()).lines
        except (OSError, ValueError, AttributeError):
            rows = 0
        return rows or 24

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def erase(self) -> None:
        if self.drawn:
            self._write(self.erase_text())
            self._drawn_height(1)
            self.drawn = False

    # -- other output on the same terminal -------------------------------------------------
    def taken_off_by(self, stream: Any) -> str:
        """Text is about to be written to ``stream`` (a ``GuardedStream``'s): what to write
        before it to take the display off the screen. Written to the display's own stream, the
        erase goes in the same write as the text; another stream's text waits for it here."""
        if not self.in_driver():  # a forked worker: the driver's display may be on the screen
            erase = self.erase_text()
            self._drawn_height(1)
            return erase
        if not self.drawn:
            return ""
        if stream is not self.stream:
            self.erase()
            return ""
        erase = self.erase_text()
        self._drawn_height(1)
        self.drawn = False
        return erase

    def text_written(self, whole_line: bool) -> bool:
        """The driver wrote text to the terminal; True when it ended a line (the display may come back)."""
        self.at_line_start = whole_line
        return whole_line

    def in_driver(self) -> bool:
        return os.getpid() == self.pid

    def before_output(self) -> None:
        """Something is about to print a line: take the live line off the screen first."""
        if self.closed or not self.live:
            return
        if self.in_driver():
            self.erase()
        else:  # a forked worker: the driver's line may be on the screen
            # (and must not come back before the line is written: another process writes it)
            self.locked = self.lock is not None and self.lock.acquire(timeout=1)
            self.stream.write(self.erase_text())
            self._drawn_height(1)
            self.stream.flush()

    def after_line(self) -> None:
        """A whole line was printed: the live line may come back."""
        if self.closed or not self.live:
            return
        if self.in_driver():
            self.at_line_start = True
            self.update()
        elif self.locked:
            self.locked = False
            self.lock.release()

    # -- a run --------------------------------------------------------------------------
    def install(self) -> None:
        """Make this the active progress, which the run's logger (``guarded``) erases before each
        message; live, route ``sys.stdout``/``sys.stderr`` through the line as well."""
        global _active
        _active = self
        if not self.live:
            return
        import multiprocessing  # (only a live status line needs its lock)

        self.lock = multiprocessing.Lock()  # (before Luigi forks its workers)
        if self.per_task:
            self.height = multiprocessing.Value("i", 1, lock=False)  # (written under ``lock``)

        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is self.stream or same_terminal(stream, self.stream):
                guarded = GuardedStream(stream, self)
                setattr(sys, name, guarded)
                self._guarded.append(guarded)
                self._undo.append(lambda n=name, s=stream, g=guarded: getattr(sys, n) is g and setattr(sys, n, s))

    def close(self) -> None:
        """The run is over: the final line (or none), and everything as it was."""
        global _active
        if self.closed:
            return
        try:
            for guarded in self._guarded:
                guarded.flush()  # (a line the run left unfinished goes before the final line)
            if self.live:
                if self.keep_final and self.at_line_start:
                    self._write((self.erase_text() if self.drawn else ERASE) + self._fit(final=True) + "\n")
                    self.drawn = False
                else:
                    self.erase()
            else:
                self._write(self.text(final=True) + "\n")
        finally:
            self.closed = True
            for undo in reversed(self._undo):
                undo()
            if _active is self:
                _active = None


class GuardedLogger:
    """A run's logger, erasing the live line before each message and redrawing after.

    ``progress``: the line to erase; None (a run's logger, ``guarded``): whichever progress is
    active when the message comes, if any, so the run need not swap its logger.
    """

    def __init__(self, logger: Any, progress: Progress | None = None) -> None:
        self._logger = logger
        self._progress = progress

    def _call(self, method: str, args: tuple, kwargs: dict) -> Any:
        progress = self._progress or _active
        if progress is None:
            return getattr(self._logger, method)(*args, **kwargs)
        progress.before_output()
        try:
            return getattr(self._logger, method)(*args, **kwargs)
        finally:
            progress.after_line()

    def info(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("info", args, kwargs)

    def debug(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("debug", args, kwargs)

    def warning(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("warning", args, kwargs)

    def error(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("error", args, kwargs)

    def critical(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("critical", args, kwargs)

    def log(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("log", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


# -- the run's side (driver only) ----------------------------------------------------------
def guarded(logger: Any) -> Any:
    """A run's logger, made to erase the live line of the active progress before each message."""
    return logger if logger is black_hole_logger else GuardedLogger(logger)


def start(run: Any) -> Progress | None:
    """The progress of a run about to start (``run.options.progress``), installed; None when
    the setting says none."""
    mode = run.options.progress
    if mode == "0" or _active is not None:
        return None
    if isatty(sys.stdout):
        stream, live = (sys.stderr if isatty(sys.stderr) else sys.stdout), True
    elif mode in ("1", "tasks"):
        stream, live = sys.stderr, False
    else:
        return None
    progress = Progress(
        stream, live, len(run.incomplete), keep_final=not live or run.options.verbose >= 1,
        per_task=mode == "tasks", run=run,
    )
    progress.install()
    return progress


def jobs_to_run(chunks: list) -> int:
    """Jobs of these chunks that will run: once per task, about 0.2 us a job."""
    return sum(len(c.jobs) if c.forced else sum(1 for j in c.jobs if j.needs_run) for c in chunks)


def _chunk(luigi_task: Any) -> Any:
    """The run's chunk a Luigi task stands for, or None (a stage, another run, no progress)."""
    if _active is None or getattr(luigi_task, "chunk", -1) < 0:
        return None
    chunk = luigi_task.planned_chunk()
    return chunk if chunk.state is _active.run else None


def chunk_started(luigi_task: Any) -> None:
    """Luigi's worker (in the driver) is about to run a task."""
    chunk = _chunk(luigi_task)
    if chunk is not None:
        threads = chunk.state.options.multithread
        _active.chunk_started(id(chunk), min(jobs_to_run([chunk]), threads) if threads > 1 else 1, chunk.task)


def chunk_ended(luigi_task: Any) -> None:
    """Luigi's worker (in the driver) got a task's result back."""
    chunk = _chunk(luigi_task)
    if chunk is not None:
        outcomes = chunk.results()
        failed = sum(1 for o in outcomes if o.error or o.missing_input)
        ok = sum(1 for o in outcomes if o.ran and not o.error)
        _active.chunk_finished(id(chunk), ok, failed)


def stage_planned(run: Any, task: Any, chunks: list) -> None:
    """``StagePlanner.start_stage`` cut a task's jobs into chunks."""
    if _active is not None and _active.run is run:
        _active.planned(task, chunks)


def task_finished(run: Any, task: Any) -> None:
    """``StagePlanner.finish_stage`` ended a task's stage."""
    if _active is not None and _active.run is run:
        _active.task_finished(task)


def tick() -> None:
    """The driver's Luigi worker is waiting: let the elapsed time and ETA move."""
    if _active is not None:
        _active.update()


def before_output() -> None:
    """For loggers writing from elsewhere (``proxy_logger``'s server): clear the line first."""
    if _active is not None:
        _active.before_output()


def after_line() -> None:
    if _active is not None:
        _active.after_line()
