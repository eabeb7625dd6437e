"""Checkpoint strategies: how outputs become trustworthy, and what happens to them afterwards.

The contract is in ``base``; strategies come from plugins (entry-point group
``ruffus_luigi``, hook ``ruffus_luigi_register_checkpoints``), the built-in ones included.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import Checkpoint, CheckpointJob, RunInfo, UnknownCheckpoint, parse_names

__all__ = ["Checkpoint", "CheckpointJob", "RunInfo", "UnknownCheckpoint", "create", "names", "parse_names"]


def _factories() -> dict:
    from .. import plugins  # (pluggy and the entry points load only when a strategy is chosen)

    found = plugins.collect("ruffus_luigi_register_checkpoints", "checkpoint strategy")
    return {name: factory for name, (factory, _) in found.items()}


def names() -> list[str]:
    """The installed strategies."""
    return sorted(_factories())


def create(chosen: str | Iterable[str] | None, where: str = "checkpoint") -> list[Checkpoint]:
    """The chosen strategies, built, in order; ``history`` (always on) is left out.

    An unknown name raises ``UnknownCheckpoint`` naming it, ``where`` it was set and the
    installed strategies.
    """
    wanted = parse_names(chosen)
    if all(name == "history" for name in wanted):
        return []  # the default: no plugin needs loading
    factories = _factories()
    built = []
    for name in wanted:
        if name not in factories:
            raise UnknownCheckpoint(
                "unknown checkpoint strategy %r (in %s); installed: %s" % (name, where, ", ".join(sorted(factories)))
            )
        if name != "history":
            built.append(factories[name]())
    return built
