"""Parse a decorator's positional and keyword arguments into named slots.

Ruffus accepts ``@transform(input, filter, [add_inputs(...)], output, *extras)``
positionally or by keyword (``input=``, ``filter=``, ``output=``, ...). The error
messages show the arguments parsed so far and point at the bad one; scripts and
tests read them, so their text follows Ruffus 3.0.0.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any

from ..errors.exceptions import (
    error_extras_wrong_type,
    error_inputs_multiple_args,
    error_missing_args,
    error_too_many_args,
)
from .indicators import add_inputs, formatter, inputs, regex, suffix


class InputsMode(IntEnum):
    """How ``add_inputs``/``inputs`` change each job's input."""

    ADD_TO_INPUTS = 0
    REPLACE_INPUTS = 1
    KEEP_INPUTS = 2
    KEEP_OUTPUTS = 3


def _in_context(description: str, bad: str, unnamed: list[str], named: list[str]) -> str:
    """Show the bad argument under the arguments already parsed."""
    indent = description.find("(") + 1
    parsed = ", ".join(unnamed + named)
    parsed = re.sub(r"<function (\w+) at 0x[0-9a-f]+>", r"\1", parsed)
    marker = " " * (indent - 5 if indent - 5 > 0 else 0) + "===> "
    return "\n" + description % (parsed + ", ...\n" + marker + bad)


class _Parser:
    def __init__(self, unnamed: tuple, named: dict, expected: list[str], description: str):
        self.unnamed = list(unnamed)
        self.named = dict(named)
        self.expected = expected
        self.description = description
        self.unnamed_strs: list[str] = []
        self.named_strs: list[str] = []
        self.results: dict[str, Any] = {}

    def context(self, bad: str) -> str:
        return _in_context(self.description, bad, self.unnamed_strs, self.named_strs)

    def checked(self, name: str, value: Any, types: tuple | None) -> Any:
        if types and not isinstance(value, types):
            type_names = " or ".join(t.__name__ for t in types)
            raise TypeError(
                f"The '{name}' argument should be {type_names}:\n"
                + self.context(f"{name} = {value!r}")
            )
        return value

    def take(self, name: str, mandatory: bool, types: tuple | None = None) -> None:
        if name not in self.expected:
            return
        if self.unnamed:
            value = self.checked(name, self.unnamed.pop(0), types)
            self.results[name] = value
            self.unnamed_strs.append(f"{name}={value!r}")
        elif name in self.named:
            value = self.checked(name, self.named.pop(name), types)
            self.results[name] = value
            self.named_strs.append(f"{name}={value!r}")
        elif mandatory:
            raise error_missing_args(
                f"Missing '{name}' argument:\n" + self.context(name + " = ???")
            )
        else:
            self.results[name] = []

    def take_modify_inputs(self, value: Any, kind: type, arg_name: str, strs: list[str]) -> None:
        mode = InputsMode.REPLACE_INPUTS if kind is inputs else InputsMode.ADD_TO_INPUTS
        self.results["modify_inputs_mode"] = mode
        if kind is inputs:
            if len(value.args) != 1:
                bad = f"{kind.__name__}{tuple(value.args)!r}"
                raise error_inputs_multiple_args(
                    "inputs() expects a single argument:\n%s" % self.context(bad)
                )
            self.results["modify_inputs"] = value.args[0]
        else:
            self.results["modify_inputs"] = value.args
        strs.append(f"{arg_name}={value.args!r}")

    def parse_input_n(self) -> None:
        self.results["input"] = [self.results["input"]]
        self.results["filter"] = [self.results["filter"]]
        n = 1
        while len(self.unnamed) >= 2 and isinstance(self.unnamed[1], formatter):
            n += 1
            self.unnamed_strs.append(f"input{n}={self.unnamed[0]!r}")
            self.unnamed_strs.append(f"filter{n}={self.unnamed[1]!r}")
            self.results["input"].append(self.unnamed.pop(0))
            self.results["filter"].append(self.unnamed.pop(0))
        while f"filter{n + 1}" in self.named:
            n += 1
            value = self.named.pop(f"filter{n}")
            self.results["filter"].append(value)
            self.named_strs.append(f"filter{n}={value!r}")
            if f"input{n}" in self.named:
                value = self.named.pop(f"input{n}")
                self.results["input"].append(value)
                self.named_strs.append(f"input{n}={value!r}")
            else:
                self.results["input"].append([])

    def parse_modify_inputs(self) -> None:
        self.results["modify_inputs_mode"] = InputsMode.KEEP_INPUTS
        self.results["modify_inputs"] = None
        kinds = ((inputs, "replace_inputs"), (add_inputs, "add_inputs"))
        if self.unnamed:
            for kind, arg_name in kinds:
                if isinstance(self.unnamed[0], kind):
                    self.take_modify_inputs(self.unnamed.pop(0), kind, arg_name, self.unnamed_strs)
                    break
        if self.results["modify_inputs_mode"] != InputsMode.KEEP_INPUTS:
            return
        for kind, arg_name in kinds:
            if arg_name in self.named:
                value = self.named.pop(arg_name)
                if isinstance(value, kind):
                    self.take_modify_inputs(value, kind, arg_name, self.named_strs)
                else:
                    self.results["modify_inputs"] = value
                mode = InputsMode.REPLACE_INPUTS if kind is inputs else InputsMode.ADD_TO_INPUTS
                self.results["modify_inputs_mode"] = mode
                break

    def parse_extras(self) -> None:
        self.results["extras"] = []
        self.results["named_extras"] = {}
        if self.unnamed:
            self.results["extras"] = self.unnamed
            self.unnamed_strs.append(f"extras={self.unnamed!r}")
            self.unnamed = []
        elif "extras" in self.named:
            value = self.named["extras"]
            if isinstance(value, dict):
                self.results["named_extras"] = value
            elif isinstance(value, list):
                self.results["extras"] = value
            else:
                raise error_extras_wrong_type(
                    "The extras paramter must be either a list of values\n"
                    "or a dictionary of named parameter values:\n%s"
                    % self.context(f"extras={value!r}")
                )
            self.named_strs.append(f"extras={value!r}")
            del self.named["extras"]

    def parse(self) -> dict[str, Any]:
        self.take("input", mandatory=False)
        self.take("filter", mandatory=True, types=(formatter, regex, suffix))
        if isinstance(self.results.get("filter"), suffix) and "output_dir" in self.expected:
            saved, self.unnamed = self.unnamed, []
            self.take("output_dir", mandatory=False)
            self.unnamed = saved
        if "inputN" in self.expected:
            self.parse_input_n()
        self.take("tuple_size", mandatory=True, types=(int,))
        if "modify_inputs" in self.expected:
            self.parse_modify_inputs()
        self.take("output", mandatory=True)
        if "extras" in self.expected:
            self.parse_extras()
        if self.unnamed:
            leftover = ", ".join(f"{a!r}" for a in self.unnamed)
            raise error_too_many_args(
                "Too many unnamed arguments leftover:\n%s" % self.context(leftover)
            )
        if self.named:
            leftover = ", ".join(f"{k}={v!r}" for k, v in self.named.items())
            raise error_too_many_args(
                "Duplicate, conflicting or unrecognised arguments:\n%s" % self.context(leftover)
            )
        return self.results


def parse_task_arguments(
    unnamed: tuple, named: dict, expected: list[str], description: str
) -> dict[str, Any]:
    """Split decorator arguments into the slots listed in ``expected``.

    Missing optional slots come back as ``[]``; missing mandatory ones raise
    ``error_missing_args``; leftovers raise ``error_too_many_args``.
    """
    return _Parser(unnamed, named, expected, description).parse()
