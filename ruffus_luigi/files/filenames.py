"""The file-name engine: how Ruffus turns input file names into output names.

Everything here is a pure function over strings and nested sequences, except
that ``os.path.abspath`` / ``relpath`` read the working directory. Behaviour,
edge cases and exception messages follow Ruffus 3.0.0 exactly, because the
planner's job parameters and ``pipeline_printout`` text must be identical.

Speed matters for pipelines with hundreds of thousands of jobs, so path
decompositions and per-job regular expression matches are cached. Cached
values are shared: public functions return fresh copies, except
``shared_decomposition``, whose callers only read it. Compiling ``suffix()`` and
its kin is ``patterns``; names as messages show them, ``printable``.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..errors.exceptions import (
    error_input_file_does_not_match,
    error_unescaped_regular_expression_forms,
    fatal_error_input_file_does_not_match,
)

__all__ = [
    "apply_to_strings",
    "flatten_strings",
    "formatter_substitute",
    "is_glob",
    "LiteralName",
    "nested_formatter_substitute",
    "non_str_sequence",
    "path_components",
    "path_decomposition",
    "regex_substitute",
]

SEQUENCE_TYPES = (list, tuple, set)  # the only sequences Ruffus descends into
_GLOB_CHARS = frozenset("*[]?")


class LiteralName(str):
    """A file name that is never a glob, whatever characters it holds.

    A hand-written Luigi task's output path read by a Ruffus task (``planning.luigi_inputs``)
    names one file: ``report[2026].csv`` expanded as a pattern would read ``report2.csv``.
    """


# -- nested sequences ----------------------------------------------------------
def is_glob(s: str) -> bool:
    """Whether ``s`` holds any glob wildcard character, so it must be expanded."""
    if type(s) is str:
        return "*" in s or "?" in s or "[" in s or "]" in s
    if isinstance(s, LiteralName):
        return False
    return not _GLOB_CHARS.isdisjoint(s)


def non_str_sequence(x: Any) -> bool:
    """Whether Ruffus descends into ``x``: only lists, tuples and sets count."""
    return isinstance(x, SEQUENCE_TYPES)


def _collect_strings(items: Any, out: list[str]) -> None:
    """The strings in a sequence, in order; one call per nested sequence, not per string."""
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, SEQUENCE_TYPES):
            _collect_strings(item, out)


def flatten_strings(p: Any) -> list[str]:
    """Every string inside an arbitrarily nested parameter, in order (file names)."""
    if p is None:
        return []
    if isinstance(p, str):
        return [p]
    out: list[str] = []
    if isinstance(p, SEQUENCE_TYPES):
        _collect_strings(p, out)
    return out


def apply_to_strings(seq: Any, func: Callable[[str], Any]) -> Any:
    """Apply ``func`` to each string, rebuilding lists/tuples/sets around the results."""
    if isinstance(seq, str):
        return func(seq)
    if isinstance(seq, SEQUENCE_TYPES):
        return type(seq)(apply_to_strings(item, func) for item in seq)
    return seq


# -- path decomposition ------------------------------------------------------------
def _split_dirs(a_path: Any) -> tuple[list, list]:
    """Sub-paths and directory names, innermost first (Ruffus' ``recursive_split``)."""
    subpaths: list = []
    subdirs: list = []
    while len(a_path):
        if a_path == "/" or a_path == "//":
            subpaths.append(a_path)
            subdirs.append(a_path)
            break
        head, tail = os.path.split(a_path)
        if not tail:
            subdirs.append("/")
            break
        subpaths.append(a_path)
        subdirs.append(tail)
        a_path = head
    return subpaths, subdirs


# many files share a directory; the lists are shared, so never modified
_split_dirs_cached = lru_cache(maxsize=4096)(_split_dirs)


def _decompose(orig_path: Any) -> dict[str, Any]:
    if not len(orig_path):
        return {"path": [], "basename": "", "ext": "", "subdir": []}
    # keep a leading "./" and a trailing "/", which normpath would drop
    if orig_path in ["./", "/."]:
        a_path = orig_path
    else:
        a_path = os.path.normpath(orig_path)
        if orig_path[0:2] == "./" and a_path[0:2] != "./":
            a_path = "./" + a_path
        if orig_path[-1] == "/" and a_path[-1:] != "/":
            a_path += "/"
    path_part, file_part = os.path.split(a_path)
    file_part, ext_part = os.path.splitext(file_part)
    if type(path_part) is str:
        subpaths, subdirs = _split_dirs_cached(path_part)
    else:
        subpaths, subdirs = _split_dirs(path_part)
    return {
        "basename": file_part,
        "ext": ext_part,
        "subpath": subpaths,
        "subdir": subdirs,
        "path": path_part,
    }


_decompose_cached = lru_cache(maxsize=8192)(_decompose)


def shared_decomposition(path: Any) -> dict[str, Any]:
    """A decomposition that must only be read (it may come from the cache)."""
    if type(path) is str:
        return _decompose_cached(path)
    return _decompose(path)


def _copy_components(d: dict) -> dict:
    return {k: (list(v) if type(v) is list else v) for k, v in d.items()}


def path_decomposition(path: str) -> dict:
    """``basename``, ``ext``, ``subpath``, ``subdir`` and ``path`` of a file name."""
    return _copy_components(shared_decomposition(path))


# -- regular expression matches ------------------------------------------------------
def _regex_match_dict(test_str: str, compiled: re.Pattern) -> dict | None:
    """Numbered (up to the last matched group) and named captures; None if no match."""
    mm = compiled.search(test_str)
    if mm is None:
        return None
    if mm.lastindex is None:
        return {0: mm.group(0)}
    result: dict = {i: mm.group(i) for i in range(mm.lastindex + 1)}
    for name in mm.groupdict():
        result[name] = mm.group(name)
    return result


def _check_regexes(compiled_regexes: Any, expected_num: int) -> list:
    """Pad to one regex (or None) per path, compiling strings, rejecting other types."""
    if compiled_regexes is None:
        return [None] * expected_num
    if not isinstance(compiled_regexes, list):
        raise Exception("Expecting list of None and strings")
    padded = list(compiled_regexes)
    if len(padded) < expected_num:
        padded.extend([None] * (expected_num - len(padded)))
    padded = [re.compile(rr) if isinstance(rr, str) else rr for rr in padded]
    for rr in padded:
        if not isinstance(rr, (re.Pattern, type(None))):
            raise Exception(
                f"Unexpected type {type(rr)!s} ('{rr!s}') specified in regular expression list. "
                "Expecting string or compiled regular expression"
            )
    return padded


def _components(paths: Any, compiled_regexes: Any) -> list[dict]:
    """Per-path components merged with matches; shared values, read only."""
    checked = _check_regexes(compiled_regexes, len(paths))
    results = []
    for path, rr in zip(paths, checked, strict=False):
        pp = shared_decomposition(path)
        if rr is None:
            results.append(pp)
            continue
        matches = _regex_match_dict(path, rr)
        if matches is None:
            return [{}] * len(paths)
        merged = dict(pp)
        merged.update(matches)
        results.append(merged)
    return results


def path_components(paths: list[str], compiled_regexes: Any) -> list[dict]:
    """Components of each path plus its regex captures; one failed match empties all."""
    return [_copy_components(d) for d in _components(paths, compiled_regexes)]


def _cache_key(filenames: Any, compiled_regexes: Any) -> tuple | None:
    """A cache key for well-formed inputs; None sends odd inputs down the slow path."""
    if not isinstance(filenames, (list, tuple)) or not all(type(f) is str for f in filenames):
        return None
    if compiled_regexes is None:
        return tuple(filenames), None
    if isinstance(compiled_regexes, list) and all(
        r is None or type(r) is re.Pattern for r in compiled_regexes
    ):
        return tuple(filenames), tuple(compiled_regexes)
    return None


def _abs_components(filename_groups: Any, regex_groups: Any) -> list[list[dict]]:
    """Components of each group's absolute input paths (read only).

    Like Ruffus, every name is made absolute before any regex is checked.
    """
    abs_groups = [[os.path.abspath(f) for f in files] for files in filename_groups]
    return [
        _components(files, regexes)
        for files, regexes in zip(abs_groups, regex_groups, strict=False)
    ]


@lru_cache(maxsize=1024)
def _substitutes_cached(cwd: str, keys: tuple, nested: bool) -> tuple[list, dict]:
    groups = _abs_components(
        [files for files, _ in keys], [None if rr is None else list(rr) for _, rr in keys]
    )
    if nested:
        return _swap_doubly_nested_order(groups)
    return _swap_nesting_order(groups[0])


def _substitutes(filename_groups: Any, regex_groups: Any, nested: bool) -> Callable:
    """Checks the inputs now, as Ruffus does; returns a getter for the (cached) substitutes.

    The substitutes are cached per job inputs and working directory: a job's
    output and each of its extras are substituted from the same file names.
    """
    keys = [_cache_key(f, r) for f, r in zip(filename_groups, regex_groups, strict=False)]
    cwd = None
    if all(key is not None for key in keys):
        try:
            cwd = os.getcwd()
        except OSError:
            pass
    if cwd is not None:
        cached = _substitutes_cached(cwd, tuple(keys), nested)
        return lambda: cached
    groups = _abs_components(filename_groups, regex_groups)
    if nested:
        return lambda: _swap_doubly_nested_order(groups)
    return lambda: _swap_nesting_order(groups[0])


# -- substitution ---------------------------------------------------------------
_UNESCAPED_MSG = (
    "The special regular expression characters "
    r"\1 and \2 need to be 'escaped' in python. "
    r"The easiest option is to use python 'raw' strings "
    r"e.g. r'\1_in_a string\2'. See http://docs.python.org/library/re.html."
)


def regex_substitute(
    filename: str, regex_str: Any, compiled: re.Pattern, patterns: Any, suffix_mode: bool = False
) -> Any:
    """Substitute ``filename``'s match into every string of ``patterns``.

    ``suffix_mode`` is Ruffus' SUFFIX_SUBSTITUTE for the output of ``suffix()``:
    the text before the suffix is kept unless the pattern mentions ``\\1``.
    """

    def substitute(p: str) -> str:
        if "\1" in p or "\2" in p:
            raise error_unescaped_regular_expression_forms(
                "['" + p.replace("\1", r"\1").replace("\2", r"\2") + "'] " + _UNESCAPED_MSG
            )
        if suffix_mode:
            match_p = p if (r"\1" in p or r"\g<1>" in p) else r"\g<1>" + p
            res_str, count = compiled.subn(match_p, filename)
            if count == 0:
                raise error_input_file_does_not_match(
                    f"File '{filename!s}' does not match suffix('{regex_str!s}') and pattern '{p}'"
                )
            return res_str
        try:
            res_str, count = compiled.subn(p, filename)
        except (re.error, IndexError) as exc:
            raise fatal_error_input_file_does_not_match(  # noqa: B904 - Ruffus chains implicitly
                f"File '{filename!s}' does not match regex('{regex_str!s}') and pattern '{p}':"
                f"\n\t{exc!s}\n"
            )
        if count > 0:
            return res_str
        raise error_input_file_does_not_match(
            f"File '{filename!s}' does not match regex('{regex_str!s}') and pattern '{p}'\n\n"
        )

    return apply_to_strings(patterns, substitute)


def _swap_nesting_order(components: list[dict]) -> tuple[list, dict]:
    """``components[file][key]`` as ``list[int_key][file]`` and ``dict[name][file]``."""
    new_dict: defaultdict = defaultdict(dict)
    new_list: list = []
    for ii, item in enumerate(components):
        for jj, value in item.items():
            if isinstance(jj, int):
                new_list += [{}] * (jj + 1 - len(new_list))
                new_list[jj][ii] = value
            else:
                new_dict[jj][ii] = value
    return new_list, dict(new_dict)


def _swap_doubly_nested_order(groups: list[list[dict]]) -> tuple[list, dict]:
    """``groups[set][file][key]`` as ``list[int_key][set][file]`` and ``dict[name][set][file]``."""
    new_dict: dict = {}
    new_list: list = []
    for ii, group in enumerate(groups):
        for jj, item in enumerate(group):
            for kk, value in item.items():
                if isinstance(kk, int):
                    new_list += [{}] * (kk + 1 - len(new_list))
                    new_list[kk].setdefault(ii, {})[jj] = value
                else:
                    new_dict.setdefault(kk, {}).setdefault(ii, {})[jj] = value
    return new_list, new_dict


def _parameter_list_as_string(parameters: Any) -> str:
    if parameters is None:
        return ""
    return str(parameters)[1:-1]


def _check_parameter_list(parameters: Any) -> None:
    if parameters is not None and not isinstance(parameters, list):
        raise Exception(f"Unexpected parameter list {parameters!s}")


def _unmatched_field(
    exc: BaseException,
    formatter_str: str,
    pattern: str,
    filenames: Any,
    subs_list: list,
    subs_dict: dict,
) -> error_input_file_does_not_match:
    missing_key = str(exc.args[0])
    if missing_key[0:1] in "'\"" and missing_key[-1:] in "'\"":
        missing_key = missing_key[1:-1]
    return error_input_file_does_not_match(
        f"Unmatched field {{{missing_key}}} in '{pattern}' where\n  input =  {filenames!r},\n"
        f"  filter = formatter({formatter_str}). "
        f"Possible substitutions= {subs_list!s}, {subs_dict!s}."
    )


def _format_all(
    patterns: Any,
    substitutes: Callable[[], tuple[list, dict]],
    describe: Callable[[], str],
    filenames: Any,
) -> Any:
    """``str.format`` every string in ``patterns`` with the (lazily built) substitutes."""
    swapped: list[tuple[list, dict]] = []

    def substitute(pattern: str) -> str:
        if not swapped:
            swapped.append(substitutes())
        subs_list, subs_dict = swapped[0]
        try:
            return pattern.format(*subs_list, **subs_dict)
        except (KeyError, IndexError) as exc:
            raise _unmatched_field(  # noqa: B904 - Ruffus chains implicitly
                exc, describe(), pattern, filenames, subs_list, subs_dict
            )

    return apply_to_strings(patterns, substitute)


def formatter_substitute(
    filenames: Any, regex_strs: Any, compiled_regexes: Any, patterns: Any
) -> Any:
    """``str.format`` each pattern with the components and captures of ``filenames``.

    Keys are swapped so ``{basename[0]}`` is the first file's basename and
    ``{1[0]}`` the first file's capture group 1.
    """
    substitutes = _substitutes([filenames], [compiled_regexes], nested=False)
    _check_parameter_list(regex_strs)
    return _format_all(
        patterns,
        substitutes,
        lambda: _parameter_list_as_string(regex_strs),
        filenames,
    )


def nested_formatter_substitute(
    filename_groups: Any, regex_strs_groups: Any, compiled_groups: Any, patterns: Any
) -> Any:
    """Like ``formatter_substitute`` with one more level: one file set per formatter.

    For ``@product`` and friends: ``{basename[1][0]}`` is the first file of set 2.
    """
    if len(filename_groups) != len(regex_strs_groups) or len(filename_groups) != len(
        compiled_groups
    ):
        raise Exception("Logic Error.")
    substitutes = _substitutes(filename_groups, compiled_groups, nested=True)
    for ss in regex_strs_groups:
        _check_parameter_list(ss)
    return _format_all(
        patterns,
        substitutes,
        lambda: ", ".join(
            f"formatter({_parameter_list_as_string(ss)})" for ss in regex_strs_groups
        ),
        filename_groups,
    )
