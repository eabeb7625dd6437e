"""The plugin manager: hook specifications plus every ``ruffus_luigi`` entry point installed.

Built lazily, once per process: a plain local run never loads it. A plugin implementing a
hook that ruffus-luigi does not specify (a misspelt name) is an error when it is loaded,
not a hook that is silently never called; so is an entry point that cannot be imported (a
stale install), named with its distribution.
"""

from __future__ import annotations

import importlib.metadata
import threading
from typing import Any

import pluggy

from . import hookspecs
from .backends import options as backend_options
from .backends.base import Backend, BackendUnavailable, JobSpec, PluginLoadError, UnknownBackend
from .settings import config

KNOWN_PLUGINS = {"drmaa": "ruffus-luigi-drmaa", "slurm": "ruffus-luigi-slurm"}
"""Back ends of the plugins shipped in ruffus-luigi's source (``plugins/``): the one to install."""

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
            try:
                pm.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
            except Exception as e:
                raise PluginLoadError(_broken_entry_point(e)) from e
            check_hook_names(pm)
            _manager = pm
        return _manager


def _broken_entry_point(error: Exception) -> str:
    """Which entry point fails to load, and what to do, for the message."""
    for ep in importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as e:  # noqa: BLE001 - any failure to import is the plugin's
            dist = getattr(ep, "dist", None)
            name = dist.metadata["Name"] if dist is not None else None
            return "ruffus-luigi plugin %r (entry point %s%s) cannot be loaded: %s: %s; reinstall it, or %s" % (
                ep.name,
                ep.value,
                ", distribution %s %s" % (name, dist.version) if dist is not None else "",
                type(e).__name__,
                e,
                "pip uninstall %s" % name if name else "remove it",
            )
    return "the ruffus-luigi plugins cannot be loaded: %s: %s" % (type(error).__name__, error)


def check_hook_names(pm: pluggy.PluginManager) -> None:
    """Raise ``pluggy.PluginValidationError`` naming the plugin and the hook if a plugin
    implements a hook ruffus-luigi does not specify (pluggy's ``check_pending``, reworded)."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as e:
        name = pm.get_name(e.plugin) or repr(e.plugin)
        dists = {pm.get_name(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
        dist = dists.get(name)
        where = " (distribution %s %s)" % (dist.project_name, dist.version) if dist is not None else ""
        unknown = sorted(
            hook
            for hook in vars(pm.hook)
            if not hook.startswith("_")
            and not getattr(pm.hook, hook).has_spec()
            and any(impl.plugin is e.plugin for impl in getattr(pm.hook, hook).get_hookimpls())
        )
        known = sorted(n for n in vars(hookspecs) if n.startswith(hookspecs.PROJECT + "_"))
        raise pluggy.PluginValidationError(
            e.plugin,
            "ruffus-luigi plugin %r%s implements unknown hook(s) %s; the hooks are: %s"
            % (name, where, ", ".join(unknown), ", ".join(known)),
        ) from None


def register(plugin: Any, name: str | None = None) -> None:
    """Register a plugin object by hand (tests, or an application embedding ruffus-luigi).

    A misspelt hook name is an error here too; the plugin is then not registered.
    """
    global _factories
    pm = manager()
    pm.register(plugin, name)
    try:
        check_hook_names(pm)
    except pluggy.PluginValidationError:
        pm.unregister(plugin)
        raise
    _factories = None


def unregister(plugin: Any) -> None:
    """Undo ``register``."""
    global _factories
    manager().unregister(plugin)
    _factories = None


def collect(hook: str, what: str) -> dict[str, tuple[Any, str]]:
    """``{name: (factory, plugin name)}`` from every implementation of registering ``hook``.

    ``what`` names the kind for messages ("back end", "checkpoint strategy"): two plugins
    registering one name is an error naming both.
    """
    found: dict[str, tuple[Any, str]] = {}
    for impl in getattr(manager().hook, hook).get_hookimpls():
        for name, factory in (impl.function() or {}).items():
            if name in found:
                raise RuntimeError(
                    "%s %r is registered by two plugins: %s and %s" % (what, name, found[name][1], impl.plugin_name)
                )
            found[name] = (factory, impl.plugin_name)
    return found


def backend_factories() -> dict[str, tuple[hookspecs.BackendFactory, str]]:
    """``{name: (factory, plugin name)}`` over all plugins; two plugins claiming one name is an error."""
    global _factories
    if _factories is None:
        _factories = collect("ruffus_luigi_register_backends", "back end")
    return _factories


def backend_names() -> list[str]:
    """Names of the installed back ends."""
    return sorted(backend_factories())


def installed() -> str:
    """The installed back ends, for messages."""
    return ", ".join(backend_names()) or "none"


def check_backend(name: str, chosen_by: str) -> None:
    """Stop a run before any job if back end ``name`` is unknown or cannot run here.

    Builds the back end as a job would (its factory checks its library or commands and its
    options) and closes it at once. Raises ``UnknownBackend`` or ``BackendUnavailable`` with
    one line naming the back end, ``chosen_by`` (where it was chosen), why, and the
    installed back ends.
    """
    if name not in backend_factories():
        raise UnknownBackend(_unknown(name, " (chosen by %s)" % chosen_by))
    try:
        create_backend(name).close()
    except BackendUnavailable as e:
        raise BackendUnavailable(
            "%s (chosen by %s; installed back ends: %s)" % (" ".join(str(e).split()), chosen_by, installed())
        ) from None


def _unknown(name: str, chosen_by: str) -> str:
    """Why back end ``name`` is not there, and what is."""
    plugin = KNOWN_PLUGINS.get(name)
    if plugin:
        why = "is not installed: pip install %s (plugins/%s in ruffus-luigi's source)" % (plugin, plugin)
    else:
        why = "is unknown (a plugin registers more through the 'ruffus_luigi' entry-point group)"
    return "back end %r%s %s; installed back ends: %s" % (name, chosen_by, why, installed())


def create_backend(name: str, **options: Any) -> Backend:
    """Build back end ``name`` with its ``[ruffus_luigi.backend.<name>]`` options updated by ``options``.

    Fails loudly: an unknown name or a back end that cannot load here raises, naming it.
    """
    factories = backend_factories()
    if name not in factories:
        raise UnknownBackend(_unknown(name, ""))
    factory, plugin = factories[name]
    merged = {**config.backend_options(name), **options}
    typed = backend_options.declared(factory)
    if typed is not None:
        section = "[ruffus_luigi.backend.%s]" % name
        where = {key: "the call's arguments" if key in options else section for key in merged}
        merged = backend_options.convert(name, typed, merged, where)
    try:
        backend = factory(**merged)
    except BackendUnavailable:
        raise
    except (TypeError, ValueError) as e:
        raise BackendUnavailable("back end %r (plugin %s): bad options %s: %s" % (name, plugin, sorted(merged), e)) from e
    backend.name = name  # the name it was chosen by, in events and messages
    return backend


def route(task_name: str, job: JobSpec) -> str | None:
    """The back end a plugin routes this job to, or None."""
    return manager().hook.ruffus_luigi_route_job(task_name=task_name, job=job)


def hook() -> Any:
    """The hook relay (``hook().ruffus_luigi_job_submitted(...)`` and friends)."""
    return manager().hook
