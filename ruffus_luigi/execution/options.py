"""A run's settings, resolved once by ``pipeline_run``: every value, and where it came from.

``pipeline_run``'s keywords win over the environment (``RUFFUS_LUIGI_*``), which wins over
``luigi.cfg`` (``[ruffus_luigi]``), which wins over the defaults (``settings.config`` reads
them; ``settings.table`` declares them). ``RunOptions.resolve`` applies that order once,
before the run takes its directory's lock, and records each choice in ``sources``: the
parts of a run (``stages``, ``executor``, the Luigi adapter) only read the frozen result.
To follow a keyword, e.g. ``multiprocess``: ``resolve`` turns it into ``RunOptions.multiprocess``
(the Luigi workers, hence the slots of ``luigi_adapter.slots``), read by ``chunking`` through
``stages`` (how many chunks a task's jobs become), by ``luigi_adapter.launch`` (``workers=``
of ``luigi.build``), by ``luigi_adapter.worker`` (``in_process``: at 1, chunks stay in the
driver) and by ``on_backend`` (cluster jobs in flight per worker).

Per-task settings (``retry_count``, a task's ``checkpoint``) are read per task where they
apply (``executor.ChunkExecutor.attempts``, ``planning.strategy_choice``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ..model.loggers import black_hole_logger, stderr_logger
from ..planning import history_settings as hist
from ..settings import config

ARGUMENT = "pipeline_run(%s=...)"
"""Where a keyword's value came from: given, or the default of ``pipeline_run``'s signature for
keywords that Ruffus defaults there (``multiprocess=1``...); ``ruffus.cmdline`` options arrive as keywords."""


class SchedulerChoice(NamedTuple):
    """The Luigi scheduler of a run: Luigi's local one, or a luigid named by a setting."""

    host: str = ""  # a luigid host (with ``port``), taken before ``url``
    port: int = 8082
    url: str = ""
    shared: bool = False  # a luigid, which other runs may share (else the local scheduler)
    address: str = ""  # the luigid as messages name it
    source: str = ""  # the setting that named it, for messages

    def build_arguments(self) -> dict[str, Any]:
        """The keywords ``luigi.build`` takes for this scheduler."""
        if self.url:
            return {"scheduler_url": self.url}
        if self.host:
            return {"scheduler_host": self.host, "scheduler_port": self.port}
        return {"local_scheduler": not self.shared}  # (shared: ``[core]`` of luigi.cfg names it)


class RunOptions(NamedTuple):
    """What a ``pipeline_run`` was asked to do, settled before it starts; see the module docstring.

    Immutable (a named tuple: made in a quarter of the time a frozen dataclass takes to
    define, which every run, even one with nothing to do, pays at import).
    """

    logger: Any = black_hole_logger  # the script's logger (none at verbose 0)
    verbose: int = 1
    verbose_abbreviated_path: int = 2
    touch_files_only: int = 0  # 0: run jobs, 1: touch their outputs, 2: touch every task's (``touch_files_only=2``)
    multiprocess: int = 1  # Luigi worker processes, hence slots (1 under ``multithread``): see the module docstring
    multithread: int = 0  # threads running a chunk's jobs (the task's jobs are then one chunk)
    gnu_make_maximal_rebuild_mode: bool = True
    jobs_per_luigi_task: int | None = None  # jobs per chunk; None: automatic (``chunking.chunk_size``)
    exceptions_terminate_immediately: bool = False
    log_exceptions: bool = False
    checksum_level: int = hist.CHECKSUM_HISTORY_TIMESTAMPS
    history_file: str | None = None  # None: no job history (checksum level 0 without a file)
    one_second_per_job: bool = False  # a second's pause before each task's jobs, as Ruffus makes
    one_second_if_clock_behind: bool = False  # Ruffus' choice: the pause starts once outputs date ahead of the clock
    backend: str = "local"
    scheduler: SchedulerChoice = SchedulerChoice()
    scheduler_timeout: float = 30.0  # s a run keeps trying a luigid that does not answer
    retry_delay: float = 1.0  # s between a job's failure and its next attempt
    progress: str = "auto"  # the progress display (``progress.start``)
    luigi_log_level: str = "CRITICAL"
    sources: Mapping[str, str] = MappingProxyType({})  # option -> where its value came from

    @property
    def in_process(self) -> bool:
        """Chunks run in the driver (one worker): no slots are forked."""
        return self.multiprocess <= 1

    @classmethod
    def resolve(
        cls,
        logger: Any = stderr_logger,
        verbose: int | None = None,
        verbose_abbreviated_path: int | None = None,
        touch_files_only: Any = False,
        multiprocess: int | None = 1,
        multithread: int | None = 0,
        gnu_make_maximal_rebuild_mode: bool = True,
        jobs_per_luigi_task: int | None = None,
        exceptions_terminate_immediately: bool = False,
        log_exceptions: bool = False,
        checksum_level: int | None = None,
        history_file: str | None = None,
        one_second_per_job: bool | None = None,
        pool_manager: str = "multiprocessing",
        scheduler_host: str | None = None,
        scheduler_port: int | None = None,
        backend: str | None = None,
    ) -> RunOptions:
        """The options of a run given these ``pipeline_run`` keywords (None: not given)."""
        if pool_manager not in ("multiprocessing", "gevent"):
            raise ValueError(f"unknown pool manager '{pool_manager}'")
        sources: dict[str, str] = {}

        def given(name: str, value: Any, default: Any) -> Any:
            sources[name] = ARGUMENT % name if value is not None else "default"
            return default if value is None else value

        verbose = given("verbose", verbose, 1)
        multithread = multithread or 0
        level = checksum_level
        if level is None:
            level = hist.get_default_checksum_level()
            sources["checksum_level"] = "environment variable DEFAULT_RUFFUS_CHECKSUM_LEVEL, or default"
        else:
            sources["checksum_level"] = ARGUMENT % "checksum_level"
        if history_file is None and level != hist.CHECKSUM_FILE_TIMESTAMPS:
            history_file = hist.get_default_history_file_name()
            sources["history_file"] = "environment variable DEFAULT_RUFFUS_HISTORY_FILE, or default"
        else:
            sources["history_file"] = ARGUMENT % "history_file" if history_file is not None else "default"
        if one_second_per_job is None:  # Ruffus' rule: file times alone must differ
            sources["one_second_per_job"] = "default (checksum_level 0)"
            pause, pause_if_clock_behind = level == hist.CHECKSUM_FILE_TIMESTAMPS, True
        else:
            sources["one_second_per_job"] = ARGUMENT % "one_second_per_job"
            pause, pause_if_clock_behind = bool(one_second_per_job), False
        if jobs_per_luigi_task is None:
            jobs_per_luigi_task = config.jobs_per_luigi_task()
            sources["jobs_per_luigi_task"] = config.source("jobs_per_luigi_task")
        else:
            sources["jobs_per_luigi_task"] = ARGUMENT % "jobs_per_luigi_task"
        scheduler = _scheduler_choice(scheduler_host, scheduler_port)
        sources["scheduler"] = scheduler.source
        sources["backend"] = config.source("backend", ARGUMENT % "backend" if backend else "")
        for name in ("retry_delay", "progress", "log_level"):
            sources[name] = config.source(name)
        sources["scheduler_timeout"] = config.source("scheduler_timeout") if scheduler.shared else "default (no luigid)"
        sources["multiprocess"] = ARGUMENT % ("multithread" if multithread else "multiprocess")
        sources.update({
            name: ARGUMENT % name
            for name in ("verbose_abbreviated_path", "touch_files_only", "multithread",
                         "gnu_make_maximal_rebuild_mode", "exceptions_terminate_immediately", "log_exceptions")
        })
        return cls(
            logger=black_hole_logger if verbose == 0 else logger,
            verbose=verbose,
            verbose_abbreviated_path=given("verbose_abbreviated_path", verbose_abbreviated_path, 2),
            touch_files_only=_touch_files_only_level(touch_files_only),
            multiprocess=1 if multithread else max(1, multiprocess or 0),
            multithread=multithread,
            gnu_make_maximal_rebuild_mode=gnu_make_maximal_rebuild_mode,
            jobs_per_luigi_task=jobs_per_luigi_task,
            exceptions_terminate_immediately=exceptions_terminate_immediately,
            log_exceptions=log_exceptions,
            checksum_level=level,
            history_file=history_file,
            one_second_per_job=pause,
            one_second_if_clock_behind=pause_if_clock_behind,
            backend=config.backend(backend),
            scheduler=scheduler,
            scheduler_timeout=config.scheduler_timeout() if scheduler.shared else 30.0,
            retry_delay=config.retry_delay(),
            progress=config.progress(),
            luigi_log_level=config.luigi_log_level(),
            sources=MappingProxyType(sources),
        )


    @classmethod
    def for_plain_luigi(cls) -> RunOptions:
        """A run that Luigi itself starts (``luigi_task``, no ``pipeline_run``): silent, Luigi's
        own scheduler whatever the settings say, Ruffus' defaults otherwise."""
        options = cls.resolve(logger=black_hole_logger, verbose=0, one_second_per_job=False)
        source = "the caller's luigi.build"
        return options._replace(
            scheduler=SchedulerChoice(source=source), sources=MappingProxyType({**options.sources, "scheduler": source})
        )


def _touch_files_only_level(value: Any) -> int:
    """Ruffus' ``touch_files_only``: False/None, True (this run's jobs) or 2 (every task's)."""
    if value is False or value is None:
        return 0
    if value is True:
        return 1
    return 2


def _scheduler_choice(host: str | None, port: int | None) -> SchedulerChoice:
    """Luigi's local scheduler unless a keyword, the environment or luigi.cfg names a luigid."""
    port = int(port or 8082)
    if host:
        source = "pipeline_run's scheduler_host/scheduler_port (a script's --scheduler-host/--scheduler-port)"
        return SchedulerChoice(host, port, "", True, "http://%s:%s/" % (host, port), source)
    if config.scheduler_host():
        host = config.scheduler_host()
        return SchedulerChoice(host, port, "", True, "http://%s:%s/" % (host, port), "RUFFUS_LUIGI_SCHEDULER_HOST")
    url = config.scheduler_url()
    if url:
        if config.environment("scheduler_url"):
            source = "RUFFUS_LUIGI_SCHEDULER_URL, which ruffus-luigi --scheduler-host/--scheduler-port set"
        else:
            source = "luigi.cfg: [ruffus_luigi] scheduler_url, or [core] default_scheduler_host/_port/_url"
        return SchedulerChoice("", port, url, True, url, source)
    if config.uses_luigid():  # ([core] of luigi.cfg names one)
        source = "luigi.cfg: [ruffus_luigi] scheduler_url, or [core] default_scheduler_host/_port/_url"
        return SchedulerChoice("", port, "", True, "named in luigi.cfg [core]", source)
    return SchedulerChoice(source="default (Luigi's local scheduler)")
