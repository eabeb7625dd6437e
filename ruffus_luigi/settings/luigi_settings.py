"""The ``[ruffus_luigi]`` settings as a Luigi ``Config``: documented, and settable on a ``luigi`` command line.

Read through ``config`` (which spares importing Luigi when no configuration exists);
defaults live in ``defaults.DEFAULTS``.
"""

from __future__ import annotations

import luigi

from .defaults import DEFAULTS


class ruffus_luigi(luigi.Config):  # noqa: N801 - the section name users write
    """Settings of ruffus-luigi."""

    jobs_per_luigi_task = luigi.IntParameter(
        default=DEFAULTS["jobs_per_luigi_task"],
        description="Jobs per Luigi task; 0 chooses automatically (1 job each up to 50 "
        "jobs per Ruffus task, else 4 Luigi tasks per worker, at least 8 and at most 50).",
    )
    scheduler_url = luigi.Parameter(
        default=DEFAULTS["scheduler_url"],
        description="URL of a luigid to use (e.g. http://127.0.0.1:8082/); empty means the "
        "local scheduler unless [core] names a default scheduler.",
    )
    scheduler_timeout = luigi.FloatParameter(
        default=DEFAULTS["scheduler_timeout"],
        description="Seconds a run keeps trying a luigid that does not answer (not listening, silent, "
        "HTTP errors, not JSON) before it stops with an error naming its URL; a luigid restarted "
        "within this time is reached again and the run carries on.",
    )
    backend = luigi.Parameter(
        default=DEFAULTS["backend"],
        description="Back end that runs jobs: local (the default, jobs run in Luigi's workers), "
        "drmaa, slurm or any installed plugin's. Options of back end X are in [ruffus_luigi.backend.X].",
    )
    run_job_backend = luigi.Parameter(
        default=DEFAULTS["run_job_backend"],
        description="Back end for drmaa_wrapper.run_job's commands when it differs from backend "
        "(e.g. slurm here and backend local: the pipeline's jobs stay local, their commands go to Slurm).",
    )
    checkpoint = luigi.Parameter(
        default=DEFAULTS["checkpoint"],
        description="Checkpoint strategies, comma-separated, applied in order: history (Ruffus' "
        "job history, always kept), atomic, zero-intermediates, remove-intermediates or any "
        "installed plugin's. A task can choose its own in [ruffus_luigi.task.<name>] checkpoint.",
    )
    keep = luigi.Parameter(
        default=DEFAULTS["keep"],
        description="Glob patterns (comma or space separated, relative to the working directory) "
        "of files zero-intermediates and remove-intermediates never touch.",
    )
    lost_job_retries = luigi.IntParameter(
        default=DEFAULTS["lost_job_retries"],
        description="How often a job the cluster lost (no state, no exit code) is resubmitted.",
    )
    retry_count = luigi.IntParameter(
        default=DEFAULTS["retry_count"],
        description="Attempts a failing job gets in all, as Luigi's retry_count counts them (1: no "
        "retry). A task can set its own in [ruffus_luigi.task.<name>] retry_count.",
    )
    retry_delay = luigi.FloatParameter(
        default=DEFAULTS["retry_delay"],
        description="Seconds to wait before trying a failed job again.",
    )
    progress = luigi.Parameter(
        default=DEFAULTS["progress"],
        description="Progress display: auto (a live status line on stderr when stdout is a terminal, "
        "nothing otherwise), 1 (also plain lines every 10 s when not a terminal) or 0 (never).",
    )
