"""A task's jobs: the parameters each job is called with, per decorator kind.

``build_job_source(task)`` runs once per pipeline setup: it resolves task
references in the declared inputs into parent edges and returns a job source.
A job source is called with a planning context (upstream outputs, runtime data,
where to report warnings) and yields ``(params, display_params)`` per job, in
Ruffus' order; ``display_params`` keep output globs unexpanded for printing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING, Any

from ..errors import exceptions as rx
from ..files.filenames import flatten_strings, non_str_sequence
from ..model.arguments import InputsMode
from ..model.indicators import formatter, regex, suffix
from .input_specs import Context, Spec, expand, is_task, resolve
from .transforms import NestedFormatterTransform, Transform, choose_transform

if TYPE_CHECKING:
    from ..model.task import Task

NO_REGEX_MATCH = (
    "No jobs were run because no file names matched.\n"
    "Please make sure that the regular expression is correctly specified."
)
EMPTY_FILES = "@files() was empty, i.e. no files were specified.\nPlease make sure this is by design."

Jobs = Iterator[tuple[tuple, tuple]]


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
        elif is_task(spec.params):
            task.single_job_single_output = spec.params
    transform = choose_transform(task, args, (regex, formatter) if collate else (regex, suffix, formatter))
    extra = _modify_inputs(task, parents)
    mode = args["modify_inputs_mode"]
    output, extras = args["output"], args["extras"]
    # one job per output of exactly one parent task: jobs can follow that parent's jobs
    streams = not collate and is_task(spec.params) and extra is None
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
