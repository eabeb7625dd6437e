"""Registers the ``drmaa`` back end; the DRMAA library is loaded only when it is chosen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruffus_luigi.backends import with_options
from ruffus_luigi.backends.base import Backend, BackendUnavailable
from ruffus_luigi.hookspecs import hookimpl


@dataclass
class DrmaaOptions:
    """``[ruffus_luigi.backend.drmaa]`` in luigi.cfg."""

    parallel_environment: str = field(default="smp", metadata={"help": "-pe of jobs with threads > 1"})
    memory_resource: str = field(default="h_vmem", metadata={"help": "-l resource for memory (empty: do not ask)"})
    native: str = field(default="", metadata={"help": "appended to every job's native specification"})
    poll_interval: float = field(default=1.0, metadata={"help": "seconds between two status queries"})
    session: Any = field(
        default=None, metadata={"help": "a drmaa.Session to share (drmaa_wrapper.run_job's drmaa_session), not a setting"}
    )


@with_options(DrmaaOptions)
def make_drmaa(**options: Any) -> Backend:
    """The drmaa back end, or ``BackendUnavailable`` saying what is missing (never a local fallback)."""
    try:
        from .backend import DrmaaBackend
    except (ImportError, RuntimeError, OSError) as e:
        raise BackendUnavailable(
            "back end 'drmaa' cannot load the DRMAA library: %s. Install the Grid Engine DRMAA "
            "library (Debian: gridengine-drmaa1.0), set DRMAA_LIBRARY_PATH to it (Debian: "
            "/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0) and, for Debian's library, start "
            "Python with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096" % e
        ) from e
    return DrmaaBackend(**options)  # its session opens on first use


@hookimpl
def ruffus_luigi_register_backends() -> dict[str, Any]:
    """``drmaa``: Grid Engine and other DRMAA 1 schedulers."""
    return {"drmaa": make_drmaa}
