"""The ``[ruffus_luigi]`` settings' defaults, read by ``config`` without Luigi and by ``luigi_settings``."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "jobs_per_luigi_task": 0,
    "scheduler_url": "",
    "scheduler_timeout": 30.0,
    "backend": "",
    "run_job_backend": "",
    "lost_job_retries": 2,
    "retry_count": 1,
    "retry_delay": 1.0,
    "checkpoint": "history",
    "keep": "",
    "progress": "auto",
}
