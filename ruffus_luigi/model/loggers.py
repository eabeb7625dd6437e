"""Ruffus' default loggers: plain lines to stderr, to a stream, or nowhere."""

from __future__ import annotations

import random
import sys
from typing import Any, TextIO


class t_black_hole_logger:  # noqa: N801 - Ruffus' public names
    """Discards everything (``verbose=0``)."""

    def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        pass

    debug = warning = error = info


class t_stream_logger:  # noqa: N801
    """Writes Ruffus' log lines to a stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def info(self, message: str) -> None:
        self.stream.write(message + "\n")

    debug = info

    def warning(self, message: str) -> None:
        self.stream.write("\n\nWARNING:\n    " + message + "\n\n")

    def error(self, message: str) -> None:
        self.stream.write("\n\nERROR:\n    " + message + "\n\n")


class t_stderr_logger:  # noqa: N801
    """The default logger: everything to ``sys.stderr`` (looked up at each call)."""

    def __init__(self) -> None:
        self.unique_prefix = ""

    def add_unique_prefix(self) -> None:
        random.seed()
        self.unique_prefix = str(random.randint(0, 1000)) + " "

    def info(self, message: str) -> None:
        sys.stderr.write(self.unique_prefix + message + "\n")

    debug = info

    def warning(self, message: str) -> None:
        sys.stderr.write("\n\n" + self.unique_prefix + "WARNING:\n    " + message + "\n\n")

    def error(self, message: str) -> None:
        sys.stderr.write("\n\n" + self.unique_prefix + "ERROR:\n    " + message + "\n\n")


black_hole_logger = t_black_hole_logger()
stderr_logger = t_stderr_logger()
