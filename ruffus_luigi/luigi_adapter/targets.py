"""What a generated Luigi task's ``output()`` gives: ``LocalTarget`` objects of Ruffus' file names.

A stage's (a whole Ruffus task's) outputs are structured as Ruffus hands them to a task
taking it as input: a list (sorted as Ruffus sorts it) with one entry per job, each a
target or a list of targets as the job's output parameter is; a task of one job with one
output (``@merge``, a ``@transform`` of one file) gives that entry alone; a ``@split``'s
and ``@subdivide``'s globs stand for the files they match when ``output()`` is called.
Tasks without output files (``@mkdir``, ``@parallel``, a task with only ``@follows``)
give ``[]``. Anything in an output parameter that is not a file name (a number, None)
is left out. A chunk's outputs are a list with one such entry per job of the chunk.

Nothing is computed until Luigi or a user asks: a run of tens of thousands of jobs never
makes a target it is not asked for (see ``translate.WithoutPaths``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import luigi

from ..files import absent
from ..files.filenames import is_glob

if TYPE_CHECKING:
    from ..model.task import Task
    from ..planning.planner import Planner

NO_OUTPUT_FILES = ("mkdir", "parallel", "task")
"""Task kinds whose second parameter is not output files (directories, arguments, none)."""


def stage_targets(task: Task, planner: Planner) -> Any:
    """The targets of a whole Ruffus task, as the next task gets its outputs as input."""
    if task.kind in NO_OUTPUT_FILES or task.job_source is None:
        return []
    return as_targets(planner.outputs(task, True))


def chunk_targets(chunk: Any) -> list:
    """The targets of a chunk's jobs, one entry per job; a glob stands for its files now."""
    entries = []
    for job in chunk.jobs:
        if chunk.task.kind in NO_OUTPUT_FILES or len(job.params) < 2:
            entries.append([])
        elif chunk.task.indeterminate_output:
            entries.append(as_targets(_matches(job.display[1])))
        else:
            entries.append(as_targets(job.params[1]))
    return entries


def as_targets(files: Any) -> Any:
    """File names -> ``LocalTarget`` objects, in the same lists and tuples; other values dropped."""
    if isinstance(files, str):
        return luigi.LocalTarget(files)
    if isinstance(files, (list, tuple)):
        kept = [as_targets(f) for f in files if isinstance(f, (str, list, tuple))]
        return tuple(kept) if isinstance(files, tuple) else kept
    return []


def _matches(files: Any) -> Any:
    """An output parameter with each glob replaced by the files it matches (in a list, in its place)."""
    if isinstance(files, str):
        return sorted(absent.glob(files)) if is_glob(files) else files
    if isinstance(files, (list, tuple)):
        items: list = []
        for f in files:
            if isinstance(f, str) and is_glob(f):
                items.extend(sorted(absent.glob(f)))
            else:
                items.append(_matches(f))
        return tuple(items) if isinstance(files, tuple) else items
    return files
