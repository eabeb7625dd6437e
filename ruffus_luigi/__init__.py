"""ruffus-luigi: Ruffus pipelines, unchanged, run on Luigi.

``import ruffus_luigi as ruffus`` gives Ruffus 3.0.0's public API; the
``ruffus`` import alias (see ``ruffus-luigi shim-path``) gives it to scripts
that ``import ruffus``.
"""

from __future__ import annotations

import sys as _sys

from .api.pipeline import Pipeline, main_pipeline, pipeline_get_task_names
from .api.pipeline_run import pipeline_run
from .errors.exceptions import JobSignalledBreak
from .model.decorators import (
    active_if,
    check_if_uptodate,
    collate,
    combinations,
    combinations_with_replacement,
    files,
    files_re,
    follows,
    graphviz,
    jobs_limit,
    merge,
    mkdir,
    originate,
    parallel,
    permutations,
    posttask,
    product,
    run_in_main_process,
    split,
    subdivide,
    task_decorator,
    transform,
)
from .model.indicators import (
    add_inputs,
    combine,
    formatter,
    inputs,
    output_from,
    regex,
    runtime_parameter,
    suffix,
    touch_file,
)
from .model.loggers import black_hole_logger, stderr_logger
from .model.pipeline import lookup_pipeline
from .model.task import Task
from .planning.graph import graph_colour_demo_printout, pipeline_printout_graph
from .planning.printout import pipeline_printout
from .planning.uptodate import needs_update_check_modify_time

__version__ = "0.1.0"


def register_cleanup(file_name: str, operation: str) -> None:
    """Kept for compatibility: Ruffus 3.0.0's version does nothing either."""


__all__ = [
    "JobSignalledBreak",
    "Pipeline",
    "Task",
    "active_if",
    "add_inputs",
    "black_hole_logger",
    "check_if_uptodate",
    "collate",
    "combinations",
    "combinations_with_replacement",
    "combine",
    "files",
    "files_re",
    "follows",
    "formatter",
    "graph_colour_demo_printout",
    "graphviz",
    "inputs",
    "jobs_limit",
    "lookup_pipeline",
    "main_pipeline",
    "merge",
    "mkdir",
    "needs_update_check_modify_time",
    "originate",
    "output_from",
    "parallel",
    "permutations",
    "pipeline_get_task_names",
    "pipeline_printout",
    "pipeline_printout_graph",
    "pipeline_run",
    "posttask",
    "product",
    "regex",
    "register_cleanup",
    "run_in_main_process",
    "runtime_parameter",
    "split",
    "stderr_logger",
    "subdivide",
    "suffix",
    "task_decorator",
    "touch_file",
    "transform",
]


def __getattr__(name: str):  # noqa: ANN202 - PEP 562: Luigi is imported only when used
    """ruffus-luigi's own Luigi helpers (not in Ruffus' export list)."""
    if name in ("luigi_task", "worker_scheduler_factory"):
        from .luigi_adapter import launch, luigi_summary  # (imports Luigi: only when used)

        luigi_summary.install()  # (the summary of the Luigi run holding the task names it as Ruffus does)
        return getattr(launch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if "luigi.cmdline_parser" in _sys.modules:  # Luigi is loaded: maybe `luigi --module` imports a script now
    from .luigi_adapter.luigi_private import importing_for_luigi_command

    if importing_for_luigi_command():
        from .api import luigi_module  # (only then: it loads the Luigi half of a run)

        luigi_module.activate()
