"""Hand-written Luigi tasks given as a Ruffus task's input: their ``output()`` files stand in.

``@transform(MakeCsv(day="2026-12-01"), suffix(".csv"), ".tsv")`` reads the files of
``MakeCsv``'s ``output()``, judged by Ruffus' rules like any file name, and the Luigi
adapter requires the Luigi task (``task.luigi_inputs``) so Luigi runs it first.

Planning does not import Luigi: a script that hands us a Luigi task has imported it, so
it is in ``sys.modules``; while it is not, no value can be a Luigi task and nothing is
looked at. A generated task (``ruffus_luigi.luigi_task(f)``) stands for its Ruffus task.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import exceptions as rx
from ..files.filenames import LiteralName, is_glob, non_str_sequence
from ..model.indicators import output_from

if TYPE_CHECKING:
    from ..model.task import Task


def replace_luigi_tasks(task: Task, params: Any, description: str) -> Any:
    """``params`` with each Luigi task (instance or class) replaced by its output files.

    A task whose ``output()`` is one target stands for that file name, as if the script had
    written it (but never a glob: a name with ``*?[]`` is a ``LiteralName``); any other
    ``output()`` (list, tuple, dict, nested) for the list of its file names in
    ``luigi.task.flatten`` order. Inside a list the names take the task's place.
    ``description`` (with one ``%r`` for the task) ends the error messages.
    """
    luigi = sys.modules.get("luigi")
    if luigi is None or isinstance(params, str):
        return params
    return _Replacer(task, luigi, description).top(params)


def take_follows(task: Task, entry: list) -> None:
    """Move the Luigi tasks of a ``@follows`` entry (``[description, no_mkdir, args]``) to the
    task's ``luigi_follows``: required and judged as Luigi inputs are, reading no file.

    Ruffus' own resolution would take a class for a function (and make it a Ruffus task)
    and refuse an instance. Once moved they stay on the task: the entry's arguments are
    replaced by the Ruffus tasks they resolve to.
    """
    luigi = sys.modules.get("luigi")
    if luigi is None:
        return
    replacer = _Replacer(task, luigi, entry[0])
    kept = []
    for arg in entry[2]:
        if not replacer.is_luigi_task(arg):
            kept.append(arg)
            continue
        instance = replacer.instance(arg)
        if getattr(type(instance), "ruffus_name", ""):  # a generated task: its Ruffus task
            kept.append(instance.ruffus_task)
            continue
        if not hasattr(task, "luigi_follows"):
            task.luigi_follows = []
        if instance not in task.luigi_follows:
            task.luigi_follows.append(instance)
    entry[2] = kept


def add_follows(task: Task) -> None:
    """Count the Luigi tasks the task follows among its Luigi inputs (after its job source set them)."""
    for instance in getattr(task, "luigi_follows", []):
        if instance not in task.luigi_inputs:
            task.luigi_inputs.append(instance)


def luigi_inputs(task: Task) -> list:
    """The Luigi tasks a Ruffus task's inputs name (set when its job source is built)."""
    return getattr(task, "luigi_inputs", [])


def any_incomplete(task: Task) -> bool:
    """Whether a Luigi task the Ruffus task reads is not complete: Luigi runs it first, so
    the task is out of date as it is when a parent task is."""
    return any(not t.complete() for t in luigi_inputs(task))


def incomplete_luigi_inputs(task: Task) -> list:
    """The Luigi tasks the Ruffus task reads that are not complete (for printouts)."""
    return [t for t in luigi_inputs(task) if not t.complete()]


class _Replacer:
    def __init__(self, task: Task, luigi: Any, description: str) -> None:
        self.task = task
        self.luigi = luigi
        self.description = description

    def is_luigi_task(self, p: Any) -> bool:
        """A Luigi task class or instance: its class's metaclass is Luigi's ``Register``.

        (Asked of the metaclass, whose own is ``type``: ``isinstance(p, luigi.Task)`` goes
        through ``ABCMeta`` and cost 8 ms per 10,000 file names.)
        """
        register = self.luigi.task_register.Register
        return isinstance(p, register) or isinstance(type(p), register)

    def top(self, p: Any) -> Any:
        if self.is_luigi_task(p):
            files, single = self.files(p)
            return files[0] if single else files
        return self.walk(p)

    def walk(self, p: Any) -> Any:
        """``p`` itself when it holds no Luigi task (nothing copied), else a copy with them replaced."""
        if isinstance(p, output_from):
            if any(self.is_luigi_task(q) for q in p.args):
                bad = next(q for q in p.args if self.is_luigi_task(q))
                self.refuse(bad, "is inside output_from(): give the Luigi task itself as the input")
            return p
        if not non_str_sequence(p):
            return p
        replaced: dict[int, tuple[Any, bool]] = {}  # position -> (new value, spliced)
        for n, q in enumerate(p):
            if isinstance(q, str):  # (most are: file names)
                continue
            if self.is_luigi_task(q):
                replaced[n] = (self.files(q)[0], True)
            else:
                r = self.walk(q)
                if r is not q:
                    replaced[n] = (r, False)
        if not replaced:
            return p
        items: list = []
        for n, q in enumerate(p):
            new, spliced = replaced.get(n, (q, False))
            if spliced:
                items.extend(new)
            else:
                items.append(new)
        return type(p)(items)

    def files(self, p: Any) -> tuple[list, bool]:
        """(the file names standing for Luigi task ``p``, whether ``output()`` is one target)."""
        instance = self.instance(p)
        ruffus_task = getattr(type(instance), "ruffus_name", "") and instance.ruffus_task
        if ruffus_task:  # a generated task: its Ruffus task, as Ruffus takes one
            return [ruffus_task], True
        try:
            out = instance.output()
        except Exception as e:  # noqa: BLE001 - the script's code: said with the task's name
            self.refuse(instance, "raised %s: %s from output()" % (type(e).__name__, e))
        names = []
        for target in self.luigi.task.flatten(out):
            if not isinstance(target, self.luigi.LocalTarget):
                self.refuse(
                    instance,
                    "has an output that is not a luigi.LocalTarget: %s. A Ruffus task reads "
                    "local files: only LocalTargets can be its input" % _shown(target),
                )
            path = target.path
            names.append(LiteralName(path) if is_glob(path) else path)  # one file, never a pattern
        if instance not in self.task.luigi_inputs:
            self.task.luigi_inputs.append(instance)
        return names, isinstance(out, self.luigi.Target)

    def instance(self, p: Any) -> Any:
        if not isinstance(p, type):
            return p
        try:
            return p()
        except self.luigi.parameter.MissingParameterException as e:
            self.refuse(
                p,
                "is a class that needs parameters (%s): give an instance, %s(name=value, ...)"
                % (e, p.__name__),
            )

    def refuse(self, luigi_task: Any, why: str) -> NoReturn:
        shown = luigi_task.__name__ if isinstance(luigi_task, type) else luigi_task
        raise rx.error_decorator_args(
            "Luigi task %s, given to Ruffus task '%s', %s.\n"
            % (shown, self.task.display_name, why)
            + self.description % (luigi_task,)
        )


def _shown(target: Any) -> str:
    """A target as the message names it: its class, and its path when it has one."""
    path = getattr(target, "path", None)
    name = type(target).__name__
    return "%s(%r)" % (name, path) if isinstance(path, str) else repr(target)
