"""The pluggy contract between ruffus-luigi and its plugins (project and entry-point group ``ruffus_luigi``).

A plugin is a distribution with an entry point in the group ``ruffus_luigi`` naming a
module (or object) that holds implementations marked with ``hookimpl``::

    [project.entry-points.ruffus_luigi]
    mybackend = "my_package.plugin"

The built-in back end ``local`` and checkpoint strategies (``history``, ``atomic``,
``zero-intermediates``, ``remove-intermediates``) are registered exactly this way, and so
are the cluster back ends of ``plugins/`` (``drmaa``, ``slurm``), distributions of their own.
An implementation of a hook not specified here (a misspelt name) is an error at load.

Stability promise: the hooks below, their argument names, ``BackendFactory`` and
``CheckpointFactory``, what ``ruffus_luigi.backends`` exports (``Backend``, ``BackendUnavailable``, ``JobResult``,
``JobSpec``, ``JobState``, ``Resources``, ``job_name``, ``prepare_job``, ``read_exit_code``,
``with_options``, and for grouped jobs ``prepare_group``, ``member_id``, ``cluster_job_id``,
``member_state``),
``ruffus_luigi.checkpoints.base`` (``Checkpoint``, ``CheckpointJob``, ``RunInfo``) and the
conformance kit ``ruffus_luigi.testing.backend_conformance.BackendConformance`` are public
(the kit may gain test cases in a minor version). Within a major version, hooks and arguments are only ever added, never
removed or renamed, and a new argument is never required of an implementation (pluggy
passes an implementation only the arguments it names). A breaking change needs a new
major version and is announced one minor version ahead by a ``DeprecationWarning``.

Grouped submission is part of the back end's class, not a hook (it is a capability of one
back end object, which a hook called on every plugin could not name): ``Backend.max_group_size``
(default 1) and ``Backend.submit_group(specs)`` (default: ``submit``). A back end that leaves
them alone gets its jobs one cluster job each, as before groups existed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .backends.base import Backend, JobResult, JobSpec
    from .checkpoints.base import Checkpoint

PROJECT = "ruffus_luigi"
ENTRY_POINT_GROUP = "ruffus_luigi"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

BackendFactory = Callable[..., "Backend"]
CheckpointFactory = Callable[[], "Checkpoint"]


@hookspec
def ruffus_luigi_register_backends() -> dict[str, BackendFactory]:
    """Back ends this plugin provides, as ``{name: factory}``.

    Called when a back end is first looked up. ``factory(**options)`` builds the back
    end; options come from the ``[ruffus_luigi.backend.<name>]`` section of luigi.cfg
    (strings) and from callers (e.g. ``session=`` for drmaa). Import heavy or optional
    libraries inside the factory, not at module level: registration must stay cheap
    and must work where the library is missing. A factory that cannot work here raises
    ``ruffus_luigi.backends.BackendUnavailable`` with a message naming the back end;
    ruffus-luigi then stops and never runs the jobs locally instead. The chosen back end's
    factory is called once in the driver before any job, to check it, and the back end is
    closed at once: open sessions or connections on first use, not in the factory.
    """


@hookspec(firstresult=True)
def ruffus_luigi_route_job(task_name: str, job: JobSpec) -> str | None:
    """The back end to run this job on, or None to leave it to the next plugin / the default.

    Consulted for every job of a run whose chosen back end is not ``local`` (the local
    path stays untouched). ``job.params`` holds the Ruffus job's parameters and
    ``job.resources`` what it asks for.
    """


@hookspec
def ruffus_luigi_job_submitted(backend: str, job: JobSpec, job_id: str) -> None:
    """A job was handed to ``backend`` and got ``job_id``. Called from the dispatcher's thread."""


@hookspec
def ruffus_luigi_job_started(backend: str, job: JobSpec, job_id: str) -> None:
    """A job was first seen running. Called from the dispatcher's thread; may be skipped for short jobs."""


@hookspec
def ruffus_luigi_job_finished(backend: str, job: JobSpec, job_id: str, result: JobResult) -> None:
    """A job ended (``result.state`` is succeeded or failed, after any resubmission)."""


@hookspec
def ruffus_luigi_register_checkpoints() -> dict[str, CheckpointFactory]:
    """Checkpoint strategies this plugin provides, as ``{name: factory}``.

    ``factory()`` builds one strategy (a ``ruffus_luigi.checkpoints.Checkpoint``) for one
    run; its hooks and when they are called are described in ``ruffus_luigi.checkpoints.base``.
    Users choose strategies by name (``--checkpoint a,b``, ``[ruffus_luigi] checkpoint``,
    ``pipeline_run(checkpoint=...)``, per task in ``[ruffus_luigi.task.<name>]``); they
    compose in the order given.
    """
