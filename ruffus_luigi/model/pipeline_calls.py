"""Under ``ruffus-luigi status``, a script's pipeline call hands its arguments over instead of running.

``pipeline_run``, ``pipeline_printout`` and ``pipeline_printout_graph`` call ``intercept``
first thing; ``capturing`` is on only while ``status`` loads the script.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_capturing = False


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
