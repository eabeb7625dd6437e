"""Under ``ruffus-luigi status``, a script's pipeline call hands its arguments over instead of running.

``pipeline_run``, ``pipeline_printout`` and ``pipeline_printout_graph`` call ``intercept``
first thing; ``capturing`` is on only while ``status`` loads the script.

Under ``luigi --module SCRIPT``, ``pipeline_run`` also asks ``deferred`` whether the call
is only to be remembered (the script being imported): ``api.luigi_module`` sets ``defer_when``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_capturing = False

defer_when: Callable[[dict[str, Any]], bool] | None = None
"""Given a ``pipeline_run`` call's arguments: True when it is remembered instead of run."""


class PipelineCall(BaseException):
    """Raised by ``intercept`` to end the script at its first pipeline call.

    A BaseException, so that a script's ``except Exception`` does not go on running.
    """

    def __init__(self, arguments: dict[str, Any]) -> None:
        super().__init__("pipeline call intercepted by ruffus-luigi status")
        self.arguments = arguments


def intercept(arguments: dict[str, Any]) -> None:
    """Called first thing by ``pipeline_run`` and the printouts: under ``status``, stop there."""
    if _capturing:
        raise PipelineCall(dict(arguments))


@contextmanager
def capturing() -> Iterator[None]:
    """While the script is loaded: its pipeline calls raise ``PipelineCall`` instead of running."""
    global _capturing
    _capturing = True
    try:
        yield
    finally:
        _capturing = False

defer_when: Callable[[dict[str, Any]], bool] | None = None
"""Given a ``pipeline_run`` call's arguments: True when it is remembered instead of run."""


def deferred(arguments: dict[str, Any]) -> bool:
    """Called by ``pipeline_run``: True when the call is remembered, not run (``defer_when``)."""
    return defer_when is not None and defer_when(dict(arguments))
