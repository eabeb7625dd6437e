"""A task's declared inputs with their task references, globs and runtime parameters found.

``resolve`` turns the tasks (by name, function, Task or Pipeline) a declaration mentions
into the task's parents, once per pipeline setup; ``expand`` replaces, when jobs are made,
each glob by the files it matches and each task by its outputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import exceptions as rx
from ..files.filenames import is_glob, non_str_sequence
from ..model.arguments import InputsMode
from ..model.indicators import output_from, runtime_parameter
from ..model.task_references import connect_parents
from .luigi_inputs import replace_luigi_tasks

if TYPE_CHECKING:
    from ..model.task import Task
    from .transforms import Transform


class Context(Protocol):
    """What a job source needs from the planner."""

    runtime_data: dict

    def outputs(self, task: Task, keep_single: bool) -> Any: ...

    def glob(self, pattern: str) -> list[str]: ...

    def match_failure(self, task: Task, message: str) -> None: ...

    def warning(self, task: Task, message: str) -> None: ...


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


def is_task(p: Any) -> bool:
    """Whether ``p`` stands for a task (a Task, by its class name)."""
    return type(p).__name__ == "Task"


def _is_pipeline(p: Any) -> bool:
    return type(p).__name__ == "Pipeline"


def _find_references(p: Any, as_tasks: bool, refs: list, globs: set, names: set) -> None:
    if callable(p) or is_task(p) or _is_pipeline(p):
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
    if is_task(p) and p in to_task:
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
    tasks = connect_parents(task, description, True, refs)
    to_task: dict = {}
    for ref, parent in zip(refs, tasks, strict=False):
        key = "PIPELINE=%s=PIPELINE" % ref.name if _is_pipeline(ref) else ref
        to_task[key] = parent
    return Spec(_replace_references(params, to_task), tasks, globs, names)


def _expand_nested(p: Any, found: dict) -> Any:
    if (isinstance(p, str) and is_glob(p) and p in found) or is_task(p) or isinstance(
        p, runtime_parameter
    ):
        return found[p]
    if isinstance(p, (str, dict)) or not non_str_sequence(p):
        return p
    items: list = []
    for q in p:
        if isinstance(q, str) and q in found:
            items.extend(found[q])
        elif is_task(q) or isinstance(q, runtime_parameter):
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
    if keep_single and is_task(spec.params):
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


