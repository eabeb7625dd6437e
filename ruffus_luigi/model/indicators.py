"""Indicator objects: the markers a decorator's arguments are wrapped in.

They only hold their arguments; the planner gives them meaning. Their repr is
part of Ruffus' error messages, so it matches Ruffus'.
"""

from __future__ import annotations

from typing import Any


class _Indicator:
    """An indicator records its positional arguments and nothing else."""

    def __init__(self, *args: Any) -> None:
        self.args = args

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self.args!r}"


class suffix(_Indicator):  # noqa: N801 - Ruffus' public name
    """Match the end of a file name; the output pattern replaces it."""


class regex(_Indicator):  # noqa: N801
    """Match a regular expression; outputs use ``\\1`` / ``\\g<name>``."""


class formatter(_Indicator):  # noqa: N801
    """One optional regular expression per input; outputs use ``str.format`` keys."""


class inputs(_Indicator):  # noqa: N801
    """Replace each job's input with the (substituted) argument."""


class add_inputs(_Indicator):  # noqa: N801
    """Append the (substituted) arguments to each job's input."""


class output_from(_Indicator):  # noqa: N801
    """Treat strings as task names, not file names."""


class combine(_Indicator):  # noqa: N801
    """``@files_re`` only: gather every match into one job."""

    def __repr__(self) -> str:  # Ruffus gives combine no repr of its own
        return object.__repr__(self)


class touch_file(_Indicator):  # noqa: N801
    """``@posttask(touch_file(path))``: touch ``path`` once the task completes."""

    def __repr__(self) -> str:
        return object.__repr__(self)


class runtime_parameter(_Indicator):  # noqa: N801
    """A placeholder replaced by ``runtime_data[name]`` when the pipeline runs."""

    def __init__(self, *args: Any) -> None:
        if len(args) != 1 or not isinstance(args[0], str):
            raise Exception(
                "runtime_parameter takes the name of the run time parameter as a single string"
            )
        super().__init__(*args)

    def __repr__(self) -> str:
        return object.__repr__(self)


class MakesDirectories:
    """What ``@follows(mkdir(...))`` recognises as directories to make: the ``mkdir`` decorator
    (``decorators.mkdir``), which records itself on the pipeline and so cannot be imported here."""
