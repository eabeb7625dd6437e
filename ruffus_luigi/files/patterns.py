"""``suffix()``, ``regex()`` and ``formatter()`` compiled, with Ruffus 3.0.0's errors for malformed ones.

The error names the task and shows the decorator (``descriptor``) as Ruffus does, with the
underlying exception as ``module.Type: (value)``.
"""

from __future__ import annotations

import re
import sys
from typing import Any

__all__ = ["compile_formatter", "compile_regex", "compile_suffix", "wrap_exception_as_string"]


def wrap_exception_as_string() -> str:
    """The exception being handled as ``module.Type: (value)``, for error messages."""
    exc_type, exc_value, _ = sys.exc_info()
    msg = f"{exc_type.__module__!s}.{exc_type.__name__!s}"  # type: ignore[union-attr]
    value = str(exc_value)
    if len(value):
        return msg + f": ({value})"
    return msg


def compile_suffix(task: Any, indicator: Any, error_cls: Any, descriptor: str) -> re.Pattern:
    """The regex for ``suffix(s)``: everything before ``s`` captured as group 1."""
    args = indicator.args
    if not len(args):
        raise error_cls(
            task,
            f"{descriptor!s}: "
            + "suffix() is malformed.\n"
            + "suffix(...) should be used to wrap a string matching the suffices of file names",
        )
    if len(args) > 1 or not isinstance(args[0], str):
        raise error_cls(
            task,
            f"{descriptor!s}: "
            + f"suffix('{args!s}') is malformed.\n"
            + "suffix(...) should only be used to wrap a single string matching the suffices "
            "of file names",
        )
    try:
        return re.compile("(.*)" + re.escape(args[0]) + "$")
    except Exception:
        raise error_cls(  # noqa: B904 - Ruffus chains implicitly
            task,
            f"{descriptor!s}: "
            + f"suffix('{args[0]!s}') is somehow malformed\n"
            + f"[{wrap_exception_as_string()}]",
        )


def compile_regex(
    task: Any, indicator: Any, error_cls: Any, descriptor: str, name: str = "regex"
) -> re.Pattern:
    """Compile the single pattern of ``regex(...)``, blaming the task if it is malformed."""
    args = indicator.args
    if not len(args) or len(args) > 1 or not isinstance(args[0], str):
        regex_str = str(args)
        if len(args) > 1:
            regex_str = regex_str[1:-1]
        elif len(args) == 0:
            regex_str = ""
        raise error_cls(
            task,
            f"{descriptor}: {name}({regex_str}) is malformed\n"
            f"{name}(...) should only be used to wrap a single regular expression string",
        )
    try:
        return re.compile(args[0])
    except Exception:
        raise error_cls(  # noqa: B904 - Ruffus chains implicitly
            task,
            f"{descriptor}: regular expression {name}('{args[0]}') is malformed\n"
            f"[{wrap_exception_as_string()}]",
        )


def compile_formatter(
    task: Any, indicator: Any, error_cls: Any, descriptor: str
) -> list[re.Pattern | None]:
    """Compile each optional pattern of ``formatter(...)`` (None stays None)."""
    compiled: list[re.Pattern | None] = []
    for ss in indicator.args:
        if ss is None:
            compiled.append(None)
            continue
        formatter_args = str(indicator.args)[1:-1]
        if not isinstance(ss, str):
            raise error_cls(
                task,
                f"{descriptor}: formatter({formatter_args}) is malformed\n"
                "formatter(...) should only be used to wrap regular expression strings "
                f'or None (not "{ss}")',
            )
        try:
            compiled.append(re.compile(ss))
        except Exception:
            raise error_cls(  # noqa: B904 - Ruffus chains implicitly
                task,
                f"{descriptor}: in formatter({formatter_args}) \n"
                f'regular expression "{ss}" is malformed\n[{wrap_exception_as_string()}]',
            )
    return compiled
