"""The ``[ruffus_luigi]`` section of ``luigi.cfg``, and its environment overrides.

Each setting is declared in ``table``. Settings are also a Luigi ``Config`` (``luigi_settings``)
so they document themselves and can be given on a ``luigi`` command line
(``--ruffus_luigi-jobs-per-luigi-task 100``). Environment variables win over ``luigi.cfg``;
keywords to ``pipeline_run`` win over both. This is the one module that reads ruffus-luigi's
environment variables (``environment``); other modules ask it.
Luigi (0.3-0.6 s to import) is only imported here when a Luigi configuration file exists
or Luigi is loaded already: a run with nothing to do never needs it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from .table import BY_NAME, DEFAULTS, TASK_RUN_KEYS, TASK_SECTION

# the files Luigi reads its configuration from (besides LUIGI_CONFIG_PATH)
LUIGI_CONFIG_FILES = (
    "/etc/luigi/client.cfg",
    "/etc/luigi/luigi.cfg",
    "client.cfg",
    "luigi.cfg",
    "/etc/luigi/luigi.toml",
    "luigi.toml",
)


def luigi_config_in_use() -> bool:
    """Whether a Luigi configuration may set something: Luigi is loaded, or a file it reads exists."""
    return (
        "luigi" in sys.modules
        or "LUIGI_CONFIG_PATH" in os.environ
        or any(os.path.exists(p) for p in LUIGI_CONFIG_FILES)
    )


def environment(name: str) -> str:
    """The environment variable of setting ``name``, or ``""`` when it is unset."""
    return os.environ.get(BY_NAME[name].env, "")


def set_for_children(name: str, value: str) -> None:
    """Set setting ``name``'s environment variable, for this run and the processes it starts."""
    os.environ[BY_NAME[name].env] = value


def _value(name: str) -> Any:
    """Setting ``name``: its environment variable when not empty, else luigi.cfg, else its default."""
    return environment(name) or setting(name)


def source(name: str, argument: str = "") -> str:
    """Where setting ``name`` comes from, for ``RunOptions.sources`` and messages.

    ``argument``: how the caller names the keyword that set it, when one did. Otherwise the
    environment variable, ``luigi.cfg`` (``[ruffus_luigi] name``) or the default, in the
    order ``_value`` reads them.
    """
    if argument:
        return argument
    row = BY_NAME[name]
    if row.env and environment(name):
        return "environment variable " + row.env
    if row.section and luigi_config_in_use():
        import luigi.configuration  # (0.3 s: only when a configuration may set something)

        if luigi.configuration.get_config().has_option(row.section, name):
            return "luigi.cfg [%s] %s" % (row.section, name)
    return "default"


def setting(name: str) -> Any:
    """``[ruffus_luigi] name`` from luigi.cfg, or its default."""
    if not luigi_config_in_use():
        return DEFAULTS[name]
    # (imports Luigi: only when a configuration may set something)
    from .luigi_settings import ruffus_luigi

    return getattr(ruffus_luigi(), name)


def jobs_per_luigi_task() -> int | None:
    """The configured chunk size, or None for automatic."""
    value = _value("jobs_per_luigi_task")
    return int(value) or None


def scheduler_url() -> str:
    """A luigid URL from the environment or ``luigi.cfg``, or ``""``."""
    return _value("scheduler_url")


def scheduler_timeout() -> float:
    """Seconds a run keeps trying a luigid that does not answer before it stops with an error.

    RUFFUS_LUIGI_SCHEDULER_TIMEOUT overrides ``[ruffus_luigi] scheduler_timeout``.
    """
    value = _value("scheduler_timeout")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(
            "RUFFUS_LUIGI_SCHEDULER_TIMEOUT / [ruffus_luigi] scheduler_timeout: %r is not a number of seconds above 0"
            % value
        )
    return seconds


def uses_luigid(host: str | None = None) -> bool:
    """Whether a run goes to a shared luigid (a host, a URL, or ``[core]`` naming one) rather than a local scheduler."""
    if host or environment("scheduler_host") or scheduler_url():
        return True
    if not luigi_config_in_use():
        return False
    import luigi.configuration  # (0.3 s: only when a configuration may set something)

    core = luigi.configuration.get_config()
    return core.has_option("core", "default_scheduler_host") or core.has_option("core", "default_scheduler_url")


def backend(explicit: str | None = None) -> str:
    """The back end: ``explicit`` (a keyword), else RUFFUS_LUIGI_BACKEND, else luigi.cfg, else local."""
    return explicit or configured_backend() or "local"


def configured_backend() -> str:
    """The back end set by RUFFUS_LUIGI_BACKEND or ``[ruffus_luigi] backend``, or ``""`` if none is."""
    return _value("backend").strip()


def backend_source(explicit: str | None = None) -> str:
    """Where ``backend(explicit)`` was chosen, for messages."""
    if explicit:
        return "pipeline_run(backend=...) or the script's --backend"
    if environment("backend").strip():
        return "RUFFUS_LUIGI_BACKEND or ruffus-luigi run --backend"
    return "[ruffus_luigi] backend in luigi.cfg"


def run_job_backend_setting() -> tuple[str, str]:
    """``drmaa_wrapper.run_job``'s own back end setting and where it was set, or ``("", "")``."""
    value = environment("run_job_backend").strip()
    if value:
        return value, "RUFFUS_LUIGI_RUN_JOB_BACKEND"
    value = setting("run_job_backend").strip()
    return (value, "[ruffus_luigi] run_job_backend in luigi.cfg") if value else ("", "")


def run_job_backend() -> str:
    """The back end for ``drmaa_wrapper.run_job`` set by configuration, or ``""``.

    RUFFUS_LUIGI_RUN_JOB_BACKEND, ``[ruffus_luigi] run_job_backend``, else the general setting.
    """
    return run_job_backend_setting()[0] or configured_backend()


def lost_job_retries() -> int:
    """Resubmissions of a lost job (RUFFUS_LUIGI_LOST_JOB_RETRIES overrides luigi.cfg)."""
    return int(_value("lost_job_retries"))


def retry_count(*names: str) -> int:
    """Attempts a failing job gets in all (Luigi's ``retry_count`` meaning): 1 means no retry.

    ``[ruffus_luigi.task.<name>] retry_count`` for the first name that sets it, else
    RUFFUS_LUIGI_RETRY_COUNT, else ``[ruffus_luigi] retry_count``.
    """
    value = _task_option(names, "retry_count") or _value("retry_count")
    try:
        count = int(value)
    except ValueError:
        raise ValueError("retry_count must be a whole number of attempts, not %r" % value) from None
    if count < 1:
        raise ValueError("retry_count must be 1 (no retry) or more, not %d" % count)
    return count


def job_group_size(*names: str) -> int:
    """The most jobs of a task one cluster job runs (1: no grouping).

    ``[ruffus_luigi.task.<name>] job_group_size`` for the first name that sets it, else
    RUFFUS_LUIGI_JOB_GROUP_SIZE, else ``[ruffus_luigi] job_group_size``.
    """
    value = _task_option(names, "job_group_size") or _value("job_group_size")
    try:
        size = int(value)
    except ValueError:
        raise ValueError("job_group_size must be a whole number of jobs, not %r" % value) from None
    if size < 1:
        raise ValueError("job_group_size must be 1 (no grouping) or more, not %d" % size)
    return size


def retry_delay() -> float:
    """Seconds between a job's failure and its next attempt (RUFFUS_LUIGI_RETRY_DELAY overrides luigi.cfg)."""
    return float(_value("retry_delay"))


def progress() -> str:
    """The progress display: ``"auto"`` (a live line when stdout is a terminal), ``"1"``, ``"0"``
    or ``"tasks"`` (as ``1``, with a line per running task).

    RUFFUS_LUIGI_PROGRESS overrides ``[ruffus_luigi] progress``; see ``progress``.
    """
    value = str(_value("progress")).strip().lower()
    for meaning, spellings in (("auto", ("auto", "")), ("1", ("1", "true", "yes", "on")), ("0", ("0", "false", "no", "off")), ("tasks", ("tasks",))):
        if value in spellings:
            return meaning
    raise ValueError("RUFFUS_LUIGI_PROGRESS / [ruffus_luigi] progress: %r is not 0, 1, auto or tasks" % value)


def reasons() -> bool:
    """Whether a dry run ends with why each job would run (RUFFUS_LUIGI_REASONS overrides luigi.cfg)."""
    value = str(_value("reasons")).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("RUFFUS_LUIGI_REASONS / [ruffus_luigi] reasons: %r is not 0 or 1" % value)


def section(name: str) -> dict[str, str]:
    """The options of a luigi.cfg section, or ``{}`` (without [DEFAULT]'s values)."""
    if not luigi_config_in_use():
        return {}
    import luigi.configuration  # (0.3 s: only when a configuration may set something)

    parser = luigi.configuration.get_config()
    if not parser.has_section(name):
        return {}
    defaults = set(parser.defaults())
    return {k: v for k, v in parser.items(name) if k not in defaults}


def backend_options(name: str) -> dict[str, str]:
    """``[ruffus_luigi.backend.<name>]``: options passed to that back end's factory."""
    return section("ruffus_luigi.backend." + name)


def task_resources(*names: str) -> dict[str, str]:
    """``[ruffus_luigi.task.<name>]`` for the first of ``names`` that has a section."""
    for name in names:
        values = section(TASK_SECTION + name)
        for key in TASK_RUN_KEYS:
            values.pop(key, None)
        if values:
            return values
    return {}


def checkpoint(explicit: object = None) -> tuple[object, str]:
    """The chosen checkpoint strategies and where they were set (for error messages)."""
    if explicit:
        return explicit, "pipeline_run(checkpoint=...)"
    if environment("checkpoint"):
        return environment("checkpoint"), "RUFFUS_LUIGI_CHECKPOINT"
    return setting("checkpoint"), "[ruffus_luigi] checkpoint"


def any_task_checkpoint() -> bool:
    """Whether some ``[ruffus_luigi.task.<name>]`` section sets ``checkpoint``."""
    if not luigi_config_in_use():
        return False
    import luigi.configuration  # (0.3 s: only when a configuration may set something)

    parser = luigi.configuration.get_config()
    return any(
        name.startswith(TASK_SECTION) and parser.has_option(name, "checkpoint") for name in parser.sections()
    )


def task_checkpoint(*names: str) -> str | None:
    """``checkpoint`` of ``[ruffus_luigi.task.<name>]`` for the first name that sets it, or None."""
    return _task_option(names, "checkpoint")


def task_keeps_outputs(*names: str) -> bool:
    """``keep_outputs = true`` in ``[ruffus_luigi.task.<name>]``: never zero or remove this task's outputs."""
    value = _task_option(names, "keep_outputs")
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def _task_option(names: tuple[str, ...], key: str) -> str | None:
    """``key`` in the first ``[ruffus_luigi.task.<name>]`` section that sets it."""
    for name in names:
        value = section(TASK_SECTION + name).get(key)
        if value is not None:
            return value
    return None


def keep_values() -> tuple[str, str]:
    """RUFFUS_LUIGI_KEEP and ``[ruffus_luigi] keep``: glob patterns that add up with the keyword."""
    return environment("keep"), setting("keep")


def scheduler_host() -> str:
    """RUFFUS_LUIGI_SCHEDULER_HOST: a luigid host, taken before ``scheduler_url``; or ``""``."""
    return environment("scheduler_host")


def luigi_log_level() -> str:
    """The level of Luigi's own log: RUFFUS_LUIGI_LOG_LEVEL, else CRITICAL (none)."""
    return environment("log_level") or BY_NAME["log_level"].default


def keep_tracebacks() -> bool:
    """RUFFUS_LUIGI_LOG_LEVEL=DEBUG: errors otherwise shown in one line keep their traceback."""
    return environment("log_level").upper() == "DEBUG"


def lock_wait() -> float:
    """Seconds a run waits for another run in its working directory (RUFFUS_LUIGI_LOCK_WAIT, default 10)."""
    value = environment("lock_wait")
    try:
        return max(0.0, float(value)) if value else BY_NAME["lock_wait"].default
    except ValueError:
        raise ValueError("RUFFUS_LUIGI_LOCK_WAIT must be a number of seconds, not %r" % value) from None


def plan_cache_enabled() -> bool:
    """Whether the plan cache is used: RUFFUS_LUIGI_PLAN_CACHE=0 turns it off."""
    return (environment("plan_cache") or BY_NAME["plan_cache"].default) != "0"
