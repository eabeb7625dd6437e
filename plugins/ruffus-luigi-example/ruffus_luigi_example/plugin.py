"""Registers the ``example`` back end: the module the entry point names.

Keep this module cheap to import: ruffus-luigi imports every installed plugin when it
first looks a back end up, whichever back end the run uses.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from ruffus_luigi.backends import Backend, BackendUnavailable, with_options
from ruffus_luigi.hookspecs import BackendFactory, hookimpl


@dataclass
class ExampleOptions:
    """The options ``[ruffus_luigi.backend.example]`` may set: the core checks the keys and
    converts the values to these types before the factory sees them (``ruffus-luigi backends
    --options`` lists them)."""

    poll_interval: float = field(default=0.1, metadata={"help": "seconds between two polls"})


@with_options(ExampleOptions)
def make_example(**options: float) -> Backend:
    """Build the back end from the ``[ruffus_luigi.backend.example]`` options (typed: ``ExampleOptions``).

    A back end that cannot work here raises ``BackendUnavailable`` naming itself: the run
    stops rather than running jobs somewhere else. A cluster back end checks for its
    commands (``sbatch``) or its library here.
    """
    if shutil.which("timeout") is None:
        raise BackendUnavailable("back end 'example' needs the 'timeout' command (coreutils)")
    from .backend import ExampleBackend  # heavy or optional imports go here, not at the top

    return ExampleBackend(**options)


@hookimpl
def ruffus_luigi_register_backends() -> dict[str, BackendFactory]:
    """``example``: each job a process on this machine, through the cluster contract."""
    return {"example": make_example}
