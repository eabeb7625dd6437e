"""The ``[ruffus_luigi]`` section of ``luigi.cfg``, and its environment overrides.

Settings are a Luigi ``Config`` so they document themselves and can also be
given on a ``luigi`` command line (``--ruffus_luigi-jobs-per-luigi-task 100``).
Environment variables win over ``luigi.cfg``; keywords to ``pipeline_run`` win
over both.
"""

from __future__ import annotations

import os

import luigi


class ruffus_luigi(luigi.Config):  # noqa: N801 - the section name users write
    """Settings of ruffus-luigi."""

    jobs_per_luigi_task = luigi.IntParameter(
        default=0,
        description="Jobs per Luigi task; 0 chooses automatically (1 job each up to 50 "
        "jobs per Ruffus task, else 50 Luigi tasks per Ruffus task).",
    )
    scheduler_url = luigi.Parameter(
        default="",
        description="URL of a luigid to use (e.g. http://127.0.0.1:8082/); empty means the "
        "local scheduler unless [core] names a default scheduler.",
    )
    backend = luigi.Parameter(
        default="",
        description="Back end that runs jobs: local (the default, jobs run in Luigi's workers), "
        "drmaa, slurm or any installed plugin's. Options of back end X are in [ruffus_luigi.backend.X].",
    )
    run_job_backend = luigi.Parameter(
        default="",
        description="Back end for drmaa_wrapper.run_job's commands when it differs from backend "
        "(e.g. slurm here and backend local: the pipeline's jobs stay local, their commands go to Slurm).",
    )
    checkpoint = luigi.Parameter(
        default="history",
        description="Checkpoint strategies, comma-separated, applied in order: history (Ruffus' "
        "job history, always kept), atomic, zero-intermediates, remove-intermediates or any "
        "installed plugin's. A task can choose its own in [ruffus_luigi.task.<name>] checkpoint.",
    )
    keep = luigi.Parameter(
        default="",
        description="Glob patterns (comma or space separated, relative to the working directory) "
        "of files zero-intermediates and remove-intermediates never touch.",
    )
    lost_job_retries = luigi.IntParameter(
        default=2,
        description="How often a job the cluster lost (no state, no exit code) is resubmitted.",
    )


def jobs_per_luigi_task() -> int | None:
    """The configured chunk size, or None for automatic."""
    value = os.environ.get("RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK") or ruffus_luigi().jobs_per_luigi_task
    return int(value) or None


def scheduler_url() -> str:
    """A luigid URL from the environment or ``luigi.cfg``, or ``""``."""
    return os.environ.get("RUFFUS_LUIGI_SCHEDULER_URL") or ruffus_luigi().scheduler_url


def backend(explicit: str | None = None) -> str:
    """The back end: ``explicit`` (a keyword), else RUFFUS_LUIGI_BACKEND, else luigi.cfg, else local."""
    return explicit or configured_backend() or "local"


def configured_backend() -> str:
    """The back end set by RUFFUS_LUIGI_BACKEND or ``[ruffus_luigi] backend``, or ``""`` if none is."""
    return (os.environ.get("RUFFUS_LUIGI_BACKEND") or ruffus_luigi().backend).strip()


def run_job_backend() -> str:
    """The back end for ``drmaa_wrapper.run_job`` set by configuration, or ``""``.

    RUFFUS_LUIGI_RUN_JOB_BACKEND, ``[ruffus_luigi] run_job_backend``, else the general setting.
    """
    value = os.environ.get("RUFFUS_LUIGI_RUN_JOB_BACKEND") or ruffus_luigi().run_job_backend
    return value.strip() or configured_backend()


def lost_job_retries() -> int:
    """Resubmissions of a lost job (RUFFUS_LUIGI_LOST_JOB_RETRIES overrides luigi.cfg)."""
    return int(os.environ.get("RUFFUS_LUIGI_LOST_JOB_RETRIES") or ruffus_luigi().lost_job_retries)


def section(name: str) -> dict[str, str]:
    """The options of a luigi.cfg section, or ``{}`` (without [DEFAULT]'s values)."""
    parser = luigi.configuration.get_config()
    if not parser.has_section(name):
        return {}
    defaults = set(parser.defaults())
    return {k: v for k, v in parser.items(name) if k not in defaults}


def backend_options(name: str) -> dict[str, str]:
    """``[ruffus_luigi.backend.<name>]``: options passed to that back end's factory."""
    return section("ruffus_luigi.backend." + name)


TASK_CHECKPOINT_KEYS = ("checkpoint", "keep_outputs")  # in a task's section, next to its resources


def task_resources(*names: str) -> dict[str, str]:
    """``[ruffus_luigi.task.<name>]`` for the first of ``names`` that has a section."""
    for name in names:
        values = section("ruffus_luigi.task." + name)
        for key in TASK_CHECKPOINT_KEYS:
            values.pop(key, None)
        if values:
            return values
    return {}


def checkpoint(explicit: object = None) -> tuple[object, str]:
    """The chosen checkpoint strategies and where they were set (for error messages)."""
    if explicit:
        return explicit, "pipeline_run(checkpoint=...)"
    if os.environ.get("RUFFUS_LUIGI_CHECKPOINT"):
        return os.environ["RUFFUS_LUIGI_CHECKPOINT"], "RUFFUS_LUIGI_CHECKPOINT"
    return ruffus_luigi().checkpoint, "[ruffus_luigi] checkpoint"


def keep_patterns(explicit: object = None) -> list[str]:
    """Files never to zero or remove: the ``keep`` keyword, RUFFUS_LUIGI_KEEP and ``[ruffus_luigi] keep``."""
    from .checkpoints import parse_names

    found = parse_names(explicit) if explicit else []
    for value in (os.environ.get("RUFFUS_LUIGI_KEEP", ""), ruffus_luigi().keep):
        found += [p for p in parse_names(value) if p not in found]
    return found


def any_task_checkpoint() -> bool:
    """Whether some ``[ruffus_luigi.task.<name>]`` section sets ``checkpoint``."""
    parser = luigi.configuration.get_config()
    return any(
        name.startswith("ruffus_luigi.task.") and parser.has_option(name, "checkpoint") for name in parser.sections()
    )


def task_checkpoint(*names: str) -> str | None:
    """``checkpoint`` of ``[ruffus_luigi.task.<name>]`` for the first name that sets it, or None."""
    for name in names:
        value = section("ruffus_luigi.task." + name).get("checkpoint")
        if value is not None:
            return value
    return None


def task_keeps_outputs(*names: str) -> bool:
    """``keep_outputs = true`` in ``[ruffus_luigi.task.<name>]``: never zero or remove this task's outputs."""
    for name in names:
        value = section("ruffus_luigi.task." + name).get("keep_outputs")
        if value is not None:
            return value.strip().lower() in ("1", "true", "yes", "on")
    return False
