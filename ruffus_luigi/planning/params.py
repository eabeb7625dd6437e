"""A task's jobs: the parameters each job is called with, per decorator kind.

``build_job_source(task)`` runs once per pipeline setup: it resolves task
references in the declared inputs into parent edges and returns a job source.
A job source is called with a planning context (upstream outputs, runtime data,
where to report warnings) and yields ``(params, display_params)`` per job, in
Ruffus' order; ``display_params`` keep output globs unexpanded for printing.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import exceptions as rx
from ..files.filenames import (
    compile_formatter,
    compile_regex,
    compile_suffix,
    flatten_strings,
    formatter_substitute,
    is_glob,
    nested_formatter_substitute,
    non_str_sequence,
    regex_substitute,
)
from ..model.arguments import InputsMode
from ..model.indicators import formatter, output_from, regex, runtime_parameter, suffix
from .luigi_inputs import replace_luigi_tasks

if TYPE_CHECKING:
    from ..model.pipeline import Task

NO_REGEX_MATCH = (
    "No jobs were run because no file names matched.\n"
    "Please make sure that the regular expression is correctly specified."
)
EMPTY_FILES = "@files() was empty, i.e. no files were specified.\nPlease make sure this is by design."

Jobs = Iterator[tuple[tuple, tuple]]


class Context(Protocol):
    """What a job source needs from the planner."""

    runtime_data: dict

    def outputs(self, task: Task, keep_single: bool) -> Any: ...

    def glob(self, pattern: str) -> list[str]: ...

    def match_failure(self, task: Task, message: str) -> None: ...

    def warning(self, task: Task, message: str) -> None: ...


# -- inputs that mention tasks, globs and runtime parameters -----------------
class Spec:
    """Declared parameters with task references resolved to Task objects."""

    __slots__ = ("params", "tasks", "globs", "runtime_names")

    def __init__(self, params: Any, tasks: list, globs: set, runtime_names: set) -> None:
        self.params = params
        self.tasks = tasks
        self.globs = globs
        self.runtime_names = runtime_names

    def each(self) -> Iterator[Spec]:
        for p in self.params:
            yield Spec(p, self.tasks, self.globs, self.runtime_names)

    def without_globs(self) -> Spec:
        return Spec(self.params, self.tasks, set(), self.runtime_names)

    def single_file_to_list(self) -> bool:
        """Wrap a lone (non-glob) file name in a list; True when it did."""
        if isinstance(self.params, str) and not is_glob(self.params):
            self.params = [self.params]
            return True
        return False

    def substituted(self, filenames: list[str], transform: Transform, output: bool = False) -> Spec:
        sub = transform.substitute_output if output else transform.substitute
        return Spec(
            sub(filenames, self.params), self.tasks, sub(filenames, self.globs), self.runtime_names
        )


def _is_task(p: Any) -> bool:
    return type(p).__name__ == "Task"


def _is_pipeline(p: Any) -> bool:
    return type(p).__name__ == "Pipeline"


def _find_references(p: Any, as_tasks: bool, refs: list, globs: set, names: set) -> None:
    if callable(p) or _is_task(p) or _is_pipeline(p):
        refs.append(p)
    elif isinstance(p, runtime_parameter):
        names.add(p)
    elif isinstance(p, output_from):
        for q in p.args:
            _find_references(q, True, refs, globs, names)
    elif isinstance(p, str):
        if as_tasks:
            refs.append(p)
        elif is_glob(p):
            globs.add(p)
    elif non_str_sequence(p):
        for q in p:
            _find_references(q, as_tasks, refs, globs, names)


def _replace_references(p: Any, to_task: dict, as_tasks: bool = False) -> Any:
    if _is_pipeline(p):
        return to_task["PIPELINE=%s=PIPELINE" % p.name]
    if _is_task(p) and p in to_task:
        return to_task[p]
    if callable(p):
        return to_task[p]
    if isinstance(p, output_from):
        if len(p.args) == 1:
            return _replace_references(p.args[0], to_task, True)
        return [_replace_references(q, to_task, True) for q in p.args]
    if isinstance(p, str):
        return to_task[p] if as_tasks else p
    if isinstance(p, dict) or not non_str_sequence(p):
        return p
    items: list = []
    for q in p:
        if isinstance(q, output_from):
            if len(q.args) > 1:
                items.extend(_replace_references(q, to_task, True))
            elif len(q.args) == 1:
                items.append(_replace_references(q.args[0], to_task, True))
        else:
            items.append(_replace_references(q, to_task, as_tasks))
    return type(p)(items)


_MODE_DESCRIPTIONS = {
    InputsMode.ADD_TO_INPUTS: "add_inputs = add_inputs(%r)",
    InputsMode.REPLACE_INPUTS: "replace_inputs = add_inputs(%r)",
    InputsMode.KEEP_OUTPUTS: "output =%r",
    InputsMode.KEEP_INPUTS: "input =%r",
}


def resolve(task: Task, params: Any, mode: InputsMode) -> Spec:
    """Connect the tasks ``params`` mentions as parents and note its globs."""
    refs: list = []
    globs: set = set()
    names: set = set()
    description = task.description_with_args_placeholder % _MODE_DESCRIPTIONS[mode]
    params = replace_luigi_tasks(task, params, description)
    _find_references(params, False, refs, globs, names)
    tasks = task._connect_parents(description, True, refs)
    to_task: dict = {}
    for ref, parent in zip(refs, tasks, strict=False):
        key = "PIPELINE=%s=PIPELINE" % ref.name if _is_pipeline(ref) else ref
        to_task[key] = parent
    return Spec(_replace_references(params, to_task), tasks, globs, names)


def _expand_nested(p: Any, found: dict) -> Any:
    if (isinstance(p, str) and is_glob(p) and p in found) or _is_task(p) or isinstance(
        p, runtime_parameter
    ):
        return found[p]
    if isinstance(p, (str, dict)) or not non_str_sequence(p):
        return p
    items: list = []
    for q in p:
        if isinstance(q, str) and q in found:
            items.extend(found[q])
        elif _is_task(q) or isinstance(q, runtime_parameter):
            files = found[q]
            if non_str_sequence(files):
                items.extend(files)
            else:
                items.append(files)
        else:
            items.append(_expand_nested(q, found))
    return type(p)(items)


def expand(spec: Spec, ctx: Context, keep_single: bool = False) -> Any:
    """Replace globs by the matching files and tasks by their outputs."""
    if keep_single and _is_task(spec.params):
        return ctx.outputs(spec.params, True)
    found: dict = {}
    for g in spec.globs:
        if is_glob(g):
            found[g] = ctx.glob(g)
    for t in spec.tasks:
        found[t] = ctx.outputs(t, False)
    for n in spec.runtime_names:
        name = n.args[0]
        if name not in ctx.runtime_data:
            raise rx.error_missing_runtime_parameter(
                "The inputs of this task depends on the runtime parameter '%s' which is missing "
                % name
            )
        found[n] = ctx.runtime_data[name]
    return _expand_nested(spec.params, found)


# -- file-name transforms -------------------------------------------------
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


# -- the per-job loop shared by transform, collate, subdivide, product ... ---
def _io_jobs(
    task: Task,
    ctx: Context,
    inputs: Iterator[tuple[Any, Any]],
    transform: Transform,
    extra_inputs: Spec | None,
    mode: InputsMode,
    output: Any,
    extras: list,
    glob_outputs: bool = False,
) -> Jobs:
    """Yield each job's params from its input and the input's file names."""
    matched = False
    for orig_input, filenames in inputs:
        try:
            if not filenames:
                continue
            if extra_inputs:
                added = expand(extra_inputs.substituted(filenames, transform), ctx)
                if mode == InputsMode.REPLACE_INPUTS:
                    job_input = added
                elif mode == InputsMode.ADD_TO_INPUTS:
                    job_input = (orig_input,) + added
                else:
                    job_input = orig_input
            else:
                job_input = orig_input
            extra_params = tuple(transform.substitute(filenames, p) for p in extras)
            if glob_outputs:
                out_spec = output.substituted(filenames, transform, output=True)
                params = (job_input, expand(out_spec, ctx)) + extra_params
                display = (job_input, expand(out_spec.without_globs(), ctx)) + extra_params
                yield params, display
            else:
                params = (job_input, transform.substitute_output(filenames, output)) + extra_params
                yield params, params
            matched = True
        except rx.error_input_file_does_not_match as e:
            ctx.match_failure(task, str(e).strip())
    if not matched:
        ctx.warning(task, NO_REGEX_MATCH)


def _with_names(inputs: Any) -> Iterator[tuple[Any, list[str]]]:
    for p in inputs:
        yield p, flatten_strings(p)


def _with_name_lists(inputs: Any) -> Iterator[tuple[Any, list[list[str]]]]:
    for group in inputs:
        yield group, [flatten_strings(p) for p in group]


def _modify_inputs(task: Task, parents: set) -> Spec | None:
    value = task.parsed_args["modify_inputs"]
    if value is None:
        return None
    spec = resolve(task, value, task.parsed_args["modify_inputs_mode"])
    parents.update(spec.tasks)
    return spec


# -- job sources per kind ----------------------------------------------------
JobSource = Callable[[Context], Jobs]


def _transform_like(task: Task, collate: bool = False) -> tuple[JobSource, set]:
    args = task.parsed_args
    spec = resolve(task, args["input"], InputsMode.KEEP_INPUTS)
    parents = set(spec.tasks)
    if not collate:
        if spec.single_file_to_list():
            task.single_job_single_output = True
        elif _is_task(spec.params):
            task.single_job_single_output = spec.params
    transform = choose_transform(task, args, (regex, formatter) if collate else (regex, suffix, formatter))
    extra = _modify_inputs(task, parents)
    mode = args["modify_inputs_mode"]
    output, extras = args["output"], args["extras"]
    # one job per output of exactly one parent task: jobs can follow that parent's jobs
    streams = not collate and _is_task(spec.params) and extra is None
    task.streams_from = spec.params if streams else None

    def transform_jobs(ctx: Context) -> Jobs:
        inputs = expand(spec, ctx)
        if not len(inputs):
            return
        ordered = sorted(inputs, key=str)
        yield from _io_jobs(task, ctx, _with_names(ordered), transform, extra, mode, output, extras)

    def collate_jobs(ctx: Context) -> Jobs:
        inputs = expand(spec, ctx)
        if not len(inputs):
            return
        ordered = sorted(inputs, key=str)
        jobs = [p for p, _ in _io_jobs(task, ctx, _with_names(ordered), transform, extra, mode, output, extras)]
        jobs.sort(key=lambda p: str(p[1:]))
        for common, group in groupby(jobs, key=lambda p: p[1:]):
            grouped = tuple(k for k, _ in groupby(p[0] for p in group))
            params = (grouped,) + common
            yield params, params

    return (collate_jobs if collate else transform_jobs), parents


def _subdivide(task: Task) -> tuple[JobSource, set]:
    args = task.parsed_args
    spec = resolve(task, args["input"], InputsMode.KEEP_INPUTS)
    spec.single_file_to_list()
    parents = set(spec.tasks)
    transform = choose_transform(task, args)
    extra = _modify_inputs(task, parents)
    out_spec = resolve(task, args["output"], InputsMode.KEEP_OUTPUTS)
    if out_spec.tasks:
        raise task.error_type(
            task,
            "%s cannot output to another task. Do not include tasks in output parameters."
            % task.syntax,
        )
    mode = args["modify_inputs_mode"]

    def jobs(ctx: Context) -> Jobs:
        inputs = expand(spec, ctx)
        if not len(inputs):
            return
        ordered = sorted(inputs, key=str)
        yield from _io_jobs(
            task, ctx, _with_names(ordered), transform, extra, mode, out_spec, args["extras"], True
        )

    return jobs, parents


def _split(task: Task) -> tuple[JobSource, set]:
    args = task.parsed_args
    spec = resolve(task, args["input"], InputsMode.KEEP_INPUTS)
    out_spec = resolve(task, args["output"], InputsMode.KEEP_OUTPUTS)
    if out_spec.tasks:
        raise task.error_type(
            task,
            "%s cannot output to another task. Do not include tasks in output parameters."
            % task.syntax,
        )
    extras = tuple(args["extras"])

    def jobs(ctx: Context) -> Jobs:
        job_input = expand(spec, ctx, keep_single=True)
        yield (
            (job_input, expand(out_spec, ctx)) + extras,
            (job_input, expand(out_spec.without_globs(), ctx)) + extras,
        )

    return jobs, set(spec.tasks)


def _merge(task: Task) -> tuple[JobSource, set]:
    args = task.parsed_args
    spec = resolve(task, args["input"], InputsMode.KEEP_INPUTS)
    output, extras = args["output"], tuple(args["extras"])

    def jobs(ctx: Context) -> Jobs:
        params = (expand(spec, ctx, keep_single=True), output) + extras
        yield params, params

    return jobs, set(spec.tasks)


def _originate(task: Task) -> tuple[JobSource, set]:
    outputs = task.parsed_args["output"]
    if not non_str_sequence(outputs):
        outputs = [outputs]
    specs = [resolve(task, o, InputsMode.KEEP_INPUTS) for o in outputs]
    if any(s.tasks for s in specs):
        raise task.error_type(
            task,
            "%s cannot output to another task. Do not include tasks in output parameters."
            % task.syntax,
        )
    extras = tuple(task.parsed_args["extras"])

    def jobs(ctx: Context) -> Jobs:
        for s in specs:
            yield (None, expand(s, ctx)) + extras, (None, expand(s.without_globs(), ctx)) + extras

    return jobs, set()


def _product(task: Task) -> tuple[JobSource, set]:
    args = task.parsed_args
    specs = [resolve(task, i, InputsMode.KEEP_INPUTS) for i in args["input"]]
    parents: set = set()
    for s in specs:
        parents.update(s.tasks)
    transform = NestedFormatterTransform(task, args["filter"])
    extra = _modify_inputs(task, parents)

    def jobs(ctx: Context) -> Jobs:
        lists = [expand(s, ctx) for s in specs]
        if not lists or any(not len(x) for x in lists):
            return
        combos = _with_name_lists(itertools.product(*lists))
        for p, _ in _io_jobs(
            task, ctx, combos, transform, extra, args["modify_inputs_mode"], args["output"], args["extras"]
        ):
            yield p, p

    return jobs, parents


_COMBINATORICS = {
    "permutations": itertools.permutations,
    "combinations": itertools.combinations,
    "combinations_with_replacement": itertools.combinations_with_replacement,
}


def _combinatorics(task: Task) -> tuple[JobSource, set]:
    args = task.parsed_args
    spec = resolve(task, args["input"], InputsMode.KEEP_INPUTS)
    parents = set(spec.tasks)
    transform = NestedFormatterTransform(task, [args["filter"]] * args["tuple_size"])
    extra = _modify_inputs(task, parents)
    combine = _COMBINATORICS[task.kind]

    def jobs(ctx: Context) -> Jobs:
        inputs = expand(spec, ctx)
        if not len(inputs):
            return
        combos = _with_name_lists(combine(inputs, args["tuple_size"]))
        for p, _ in _io_jobs(
            task, ctx, combos, transform, extra, args["modify_inputs_mode"], args["output"], args["extras"]
        ):
            yield p, p

    return jobs, parents


def _files(task: Task) -> tuple[JobSource, set]:
    spec = resolve(task, task.parsed_args["input"], InputsMode.KEEP_INPUTS)
    outputs = task.parsed_args["output"]

    def jobs(ctx: Context) -> Jobs:
        if spec.params == []:
            ctx.warning(task, EMPTY_FILES)
            return
        for job_spec, rest in zip(spec.each(), outputs, strict=False):
            params = (expand(job_spec, ctx, keep_single=True),) + rest
            yield params, params

    return jobs, set(spec.tasks)


def _fixed(params: Any) -> JobSource:
    made: list | None = None  # a generator's parameters, kept once read: jobs are listed more than once

    def jobs(ctx: Context) -> Jobs:
        nonlocal made
        if made is None:
            made = list(params)
        yield from ((p, p) for p in made)

    return jobs


def _files_func(task: Task) -> tuple[JobSource, set]:
    generator = task.parsed_args["generator"]

    def jobs(ctx: Context) -> Jobs:
        for p in generator():
            yield p, p

    return jobs, set()


def build_job_source(task: Task) -> set:
    """Set ``task.job_source`` from its declaration; return the parents its inputs name."""
    task.luigi_inputs = []  # hand-written Luigi tasks its inputs name (``luigi_inputs``)
    kind = task.kind
    if kind in ("transform", "collate"):
        task.job_source, parents = _transform_like(task, collate=kind == "collate")
    elif kind == "files_re":
        task.job_source, parents = _transform_like(task, collate=task.files_re_combine)
    elif kind == "mkdir":
        if task.mkdir_with_filter:
            task.job_source, parents = _transform_like(task)
        else:
            task.job_source, parents = _fixed([[sorted(task.parsed_args["output"], key=str)]]), set()
    elif kind == "subdivide":
        task.job_source, parents = _subdivide(task)
    elif kind == "split":
        task.job_source, parents = _split(task)
    elif kind == "merge":
        task.job_source, parents = _merge(task)
    elif kind == "originate":
        task.job_source, parents = _originate(task)
    elif kind == "product":
        task.job_source, parents = _product(task)
    elif kind in _COMBINATORICS:
        task.job_source, parents = _combinatorics(task)
    elif kind == "files":
        task.job_source, parents = _files(task)
    elif kind == "files_func":
        task.job_source, parents = _files_func(task)
    elif kind == "parallel":
        task.job_source, parents = _fixed(task.parsed_args["params"]), set()
    else:
        task.job_source, parents = None, set()
    return parents
