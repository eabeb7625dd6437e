"""A back end's typed options: declared once as a dataclass, checked and converted by the core.

Options come as strings from ``[ruffus_luigi.backend.<name>]`` in luigi.cfg. A factory marked
``@with_options(MyOptions)`` gets them as the dataclass's field types (``str``, ``int``,
``float``, ``bool``), and a misspelt key or a value of the wrong kind stops the run before any
job, naming the back end, the key and where it was set, instead of reaching the factory as
an unexpected keyword or a string where a number was meant. ``ruffus-luigi backends
--options`` lists what each back end declares. A factory without the mark gets the strings
as given (plugins written before this existed keep working).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .base import BackendUnavailable

F = TypeVar("F", bound=Callable[..., Any])
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def with_options(options: type) -> Callable[[F], F]:
    """Mark a back-end factory as taking the fields of dataclass ``options`` as keywords."""
    if not dataclasses.is_dataclass(options):
        raise TypeError("with_options needs a dataclass, not %r" % (options,))

    def mark(factory: F) -> F:
        factory.options = options  # type: ignore[attr-defined]
        return factory

    return mark


def declared(factory: Callable[..., Any]) -> type | None:
    """The options dataclass a factory declares, or None."""
    return getattr(factory, "options", None)


def convert(backend: str, options: type, given: Mapping[str, Any], where: Mapping[str, str]) -> dict[str, Any]:
    """``given`` checked against ``options``' fields and converted to their types.

    ``where`` says where each key was set, for messages. Raises ``BackendUnavailable``.
    """
    fields = {f.name: f for f in dataclasses.fields(options)}
    types = typing.get_type_hints(options)
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise BackendUnavailable(
            "back end %r: unknown option(s) %s (in %s); its options: %s"
            % (backend, ", ".join(map(repr, unknown)), where.get(unknown[0], "?"), ", ".join(sorted(fields)) or "none")
        )
    converted = {}
    for key, value in given.items():
        try:
            converted[key] = _as(types.get(key, str), value)
        except ValueError:
            raise BackendUnavailable(
                "back end %r: option %r (in %s) must be %s, not %r"
                % (backend, key, where.get(key, "?"), _kind(types.get(key, str)), value)
            ) from None
    return converted


def describe(options: type) -> list[str]:
    """One line per option: name, type, default, help (field metadata ``help``)."""
    types = typing.get_type_hints(options)
    lines = []
    for f in dataclasses.fields(options):
        default = f.default if f.default is not dataclasses.MISSING else "(required)"
        help_text = f.metadata.get("help", "")
        kind = getattr(types.get(f.name, str), "__name__", "str")
        lines.append("%s: %s = %r%s" % (f.name, kind, default, "  " + help_text if help_text else ""))
    return lines


def _as(kind: Any, value: Any) -> Any:
    if not isinstance(value, str) or kind is str:
        return value
    if kind is bool:
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(value)
    if kind in (int, float):
        return kind(value)
    return value


def _kind(kind: Any) -> str:
    return {str: "text", int: "a whole number (int)", float: "a number (float)", bool: "true or false (bool)"}.get(
        kind, getattr(kind, "__name__", str(kind))
    )
