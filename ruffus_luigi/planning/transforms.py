"""File-name transforms: ``suffix()``, ``regex()`` and ``formatter()`` applied to a job's inputs.

Each makes the names of a job's outputs (and extra parameters) from its input names, as
Ruffus 3.0.0 does, with its errors when a name does not match.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..files.filenames import formatter_substitute, nested_formatter_substitute, regex_substitute
from ..files.patterns import compile_formatter, compile_regex, compile_suffix
from ..model.indicators import formatter, regex, suffix

if TYPE_CHECKING:
    from ..model.task import Task


class Transform:
    """Makes output, extra and added-input names from a job's input file names."""

    def substitute(self, filenames: list[str], pattern: Any) -> Any:
        raise NotImplementedError

    def substitute_output(self, filenames: list[str], pattern: Any) -> Any:
        return self.substitute(filenames, pattern)


class SuffixTransform(Transform):
    def __init__(self, task: Task, indicator: suffix, output_dir: Any) -> None:
        self.regex = compile_suffix(task, indicator, task.error_type, task.syntax)
        self.regex_str = indicator.args[0]
        self.output_dir = output_dir

    def _start(self, filenames: list[str]) -> str:
        if self.output_dir == []:
            return filenames[0]
        return os.path.join(self.output_dir, os.path.split(filenames[0])[1])

    def substitute(self, filenames: list[str], pattern: Any) -> Any:
        return regex_substitute(self._start(filenames), self.regex_str, self.regex, pattern)

    def substitute_output(self, filenames: list[str], pattern: Any) -> Any:
        return regex_substitute(
            self._start(filenames), self.regex_str, self.regex, pattern, suffix_mode=True
        )


class RegexTransform(Transform):
    def __init__(self, task: Task, indicator: regex) -> None:
        self.regex = compile_regex(task, indicator, task.error_type, task.syntax)
        self.regex_str = indicator.args[0]

    def substitute(self, filenames: list[str], pattern: Any) -> Any:
        return regex_substitute(filenames[0], self.regex_str, self.regex, pattern)


class FormatterTransform(Transform):
    def __init__(self, task: Task, indicator: formatter) -> None:
        self.regexes: list = []
        self.regex_strs: list = []
        if indicator.args:
            self.regexes = compile_formatter(task, indicator, task.error_type, task.syntax)
            self.regex_strs = list(indicator.args)

    def substitute(self, filenames: list[str], pattern: Any) -> Any:
        return formatter_substitute(filenames, self.regex_strs, list(self.regexes), pattern)


class NestedFormatterTransform(Transform):
    """For product and combinatorics: one formatter per input set."""

    def __init__(self, task: Task, indicators: list) -> None:
        self.regexes: list = []
        self.regex_strs: list = []
        for ind in indicators:
            if ind.args:
                self.regexes.append(compile_formatter(task, ind, task.error_type, task.syntax))
                self.regex_strs.append(list(ind.args))
            else:
                self.regexes.append([])
                self.regex_strs.append([])

    def substitute(self, filenames: list[list[str]], pattern: Any) -> Any:
        return nested_formatter_substitute(
            filenames, self.regex_strs, [list(r) for r in self.regexes], pattern
        )


def choose_transform(task: Task, args: dict, valid: tuple = (regex, suffix, formatter)) -> Transform:
    """The transform a task's ``filter`` argument asks for."""
    tag = args["filter"]
    names = []
    if regex in valid:
        names.append("regex()")
        if isinstance(tag, regex):
            return RegexTransform(task, tag)
    if suffix in valid:
        names.append("suffix()")
        if isinstance(tag, suffix):
            return SuffixTransform(task, tag, args.get("output_dir", []))
    if formatter in valid:
        names.append("formatter()")
        if isinstance(tag, formatter):
            return FormatterTransform(task, tag)
    raise task.error_type(
        task, "%s expects one of %s as the second argument" % (task.syntax, ", ".join(names))
    )


