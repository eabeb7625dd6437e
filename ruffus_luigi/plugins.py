"""The plugin manager: hook specifications plus every ``ruffus_luigi`` entry point installed.

Built lazily, once per process: a plain local run never loads it.
"""

from __future__ import annotations

import threading
from typing import Any

import pluggy

from . import hookspecs
from .backends.base import Backend, BackendUnavailable, JobSpec, UnknownBackend

_manager: pluggy.PluginManager | None = None
_factories: dict[str, tuple[hookspecs.BackendFactory, str]] | None = None
_lock = threading.Lock()


def manager() -> pluggy.PluginManager:
    """The process's plugin manager, with the installed entry points of group ``ruffus_luigi``."""
    global _manager
    with _lock:
        if _manager is None:
            pm = pluggy.PluginManager(hookspecs.PROJECT)
            pm.add_hookspecs(hookspecs)
            pm.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
            _manager = pm
        return _manager


def register(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object by hand (tests, or an application embedding ruffus-luigi)."""
    global _factories
    manager().register(plugin, name)
    _factories = None


def unregister(plugin: Any) -> None:
    """Undo ``register``."""
    global _factories
    manager().unregister(plugin)
    _factories = None


def backend_factories() -> dict[str, tuple[hookspecs.BackendFactory, str]]:
    """``{name: (factory, plugin name)}`` over all plugins; two plugins claiming one name is an error."""
    global _factories
    if _factories is None:
        pm = manager()
        found: dict[str, tuple[hookspecs.BackendFactory, str]] = {}
        for impl in pm.hook.ruffus_luigi_register_backends.get_hookimpls():
            for name, factory in (impl.function() or {}).items():
                if name in found:
                    raise RuntimeError(
                        "back end %r is registered by two plugins: %s and %s" % (name, found[name][1], impl.plugin_name)
                    )
                found[name] = (factory, impl.plugin_name)
        _factories = found
    return _factories


def backend_names() -> list[str]:
    """Names of the installed back ends."""
    return sorted(backend_factories())


def create_backend(name: str, **options: Any) -> Backend:
    """Build back end ``name`` with its ``[ruffus_luigi.backend.<name>]`` options updated by ``options``.

    Fails loudly: an unknown name or a back end that cannot load here raises, naming it.
    """
    from . import config

    factories = backend_factories()
    if name not in factories:
        raise UnknownBackend(
            "unknown back end %r; installed back ends: %s (a plugin registers more through the "
            "'ruffus_luigi' entry-point group)" % (name, ", ".join(sorted(factories)) or "none")
        )
    factory, plugin = factories[name]
    merged = {**config.backend_options(name), **options}
    try:
        backend = factory(**merged)
    except BackendUnavailable:
        raise
    except TypeError as e:
        raise BackendUnavailable("back end %r (plugin %s): bad options %s: %s" % (name, plugin, sorted(merged), e)) from e
    backend.name = name  # the name it was chosen by, in events and messages
    return backend


def route(task_name: str, job: JobSpec) -> str | None:
    """The back end a plugin routes this job to, or None."""
    return manager().hook.ruffus_luigi_route_job(task_name=task_name, job=job)


def hook() -> Any:
    """The hook relay (``hook().ruffus_luigi_job_submitted(...)`` and friends)."""
    return manager().hook
