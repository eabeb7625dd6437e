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


def jobs_per_luigi_task() -> int | None:
    """The configured chunk size, or None for automatic."""
    value = os.environ.get("RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK") or ruffus_luigi().jobs_per_luigi_task
    return int(value) or None


def scheduler_url() -> str:
    """A luigid URL from the environment or ``luigi.cfg``, or ``""``."""
    return os.environ.get("RUFFUS_LUIGI_SCHEDULER_URL") or ruffus_luigi().scheduler_url
