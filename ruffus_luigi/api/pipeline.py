"""``Pipeline`` as Ruffus scripts use it: the records (``model.pipeline``) plus running and printing.

The model's ``Pipeline`` holds what a script declared; planning and execution work on it.
Its ``run``, ``printout`` and ``printout_graph`` methods call them, so they live up here, on
the class scripts get as ``ruffus.Pipeline``, of which ``main_pipeline`` is an instance.
"""

from __future__ import annotations

from typing import Any

from ..model import pipeline as records
from ..model.pipeline import lookup_pipeline
from ..model.task import ALL_TASKS
from ..planning.graph import pipeline_printout_graph
from ..planning.plan import complete_setup
from ..planning.printout import pipeline_printout
from .pipeline_run import pipeline_run


class Pipeline(records.Pipeline):
    """A named set of tasks; ``"main"`` holds everything the decorators declare.

    It is a dict (task names, functions and ``module.func`` to Task) as in Ruffus,
    so scripts that look tasks up by subscription keep working.
    """

    def run(self, *args: Any, **named: Any) -> None:
        named.setdefault("pipeline", self)
        pipeline_run(*args, **named)

    def printout(self, *args: Any, **named: Any) -> None:
        named.setdefault("pipeline", self)
        pipeline_printout(*args, **named)

    def get_task_names(self, *args: Any, **named: Any) -> None:
        """Ruffus 3.0.0 returns None here (a missing ``return``); kept."""
        named.setdefault("pipeline", self)
        pipeline_get_task_names(*args, **named)

    def printout_graph(self, *args: Any, **named: Any) -> None:
        named.setdefault("pipeline", self)
        pipeline_printout_graph(*args, **named)


main_pipeline = Pipeline(name="main")


def pipeline_get_task_names(pipeline: Any = None) -> list[str]:
    """The names of every task ever created, in creation order, as Ruffus gives them."""
    complete_setup([lookup_pipeline(pipeline)])
    return [t.name for t in ALL_TASKS]
