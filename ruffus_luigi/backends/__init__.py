"""Back ends: where jobs run. The contract is in ``base``; built-in back ends are plugins."""

from .base import (
    Backend,
    BackendUnavailable,
    JobSpec,
    JobState,
    Resources,
    UnknownBackend,
    job_name,
    prepare_job,
    read_exit_code,
)

__all__ = [
    "Backend",
    "BackendUnavailable",
    "JobSpec",
    "JobState",
    "Resources",
    "UnknownBackend",
    "job_name",
    "prepare_job",
    "read_exit_code",
]
