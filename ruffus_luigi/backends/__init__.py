"""Back ends: where jobs run. The contract is in ``base``; built-in back ends are plugins."""

from .base import (
    Backend,
    BackendUnavailable,
    JobResult,
    JobSpec,
    JobState,
    Resources,
    UnknownBackend,
    cluster_job_id,
    job_name,
    member_id,
    member_state,
    prepare_group,
    prepare_job,
    read_exit_code,
)
from .options import with_options

__all__ = [
    "Backend",
    "BackendUnavailable",
    "JobResult",
    "JobSpec",
    "JobState",
    "Resources",
    "UnknownBackend",
    "cluster_job_id",
    "job_name",
    "member_id",
    "member_state",
    "prepare_group",
    "prepare_job",
    "read_exit_code",
    "with_options",
]
