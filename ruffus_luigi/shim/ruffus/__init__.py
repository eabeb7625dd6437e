# ruff: noqa: F405 - the names come from `from ruffus_luigi import *` above
"""The ``ruffus`` import alias: put ``ruffus-luigi shim-path`` first on PYTHONPATH."""

import importlib
import sys
import types

import ruffus_luigi
from ruffus_luigi import *  # noqa: F401,F403
from ruffus_luigi.planning import history_records as _records
from ruffus_luigi.planning import history_settings as _levels
from ruffus_luigi.planning import history_store as _store

__version__ = "3.0.0"


def _alias(name: str, module: types.ModuleType) -> types.ModuleType:
    sys.modules["ruffus." + name] = module
    globals()[name] = module
    return module


ruffus_exceptions = _alias("ruffus_exceptions", importlib.import_module("ruffus_luigi.errors.exceptions"))

combinatorics = _alias("combinatorics", types.ModuleType("ruffus.combinatorics"))
for _n in ("product", "permutations", "combinations", "combinations_with_replacement", "task_decorator"):
    setattr(combinatorics, _n, getattr(ruffus_luigi, _n))

ruffus_utility = _alias("ruffus_utility", types.ModuleType("ruffus.ruffus_utility"))
for _n in dir(_levels):
    if _n.startswith(("CHECKSUM_", "RUFFUS_", "get_default")):
        setattr(ruffus_utility, _n, getattr(_levels, _n))
ruffus_utility.JobHistoryChecksum = _records.JobHistoryChecksum
ruffus_utility.open_job_history = _store.open_job_history
ruffus_utility.get_history_file_path = _store.get_history_file_path
for _n in ("output_from", "runtime_parameter", "combine", "formatter", "regex", "suffix", "inputs", "add_inputs"):
    setattr(ruffus_utility, _n, getattr(ruffus_luigi, _n))

task = _alias("task", types.ModuleType("ruffus.task"))
for _n in ("Pipeline", "Task", "main_pipeline", "lookup_pipeline", "pipeline_get_task_names"):
    setattr(task, _n, getattr(ruffus_luigi, _n))
for _n in ("pipeline_run", "pipeline_printout", "pipeline_printout_graph", "task_decorator", "stderr_logger", "black_hole_logger"):
    setattr(task, _n, getattr(ruffus_luigi, _n))
task.t_stream_logger = importlib.import_module("ruffus_luigi.model.loggers").t_stream_logger
task.ruffus_exceptions = ruffus_exceptions
# What `from ruffus.task import *` gives in Ruffus 3.0.0 that scripts can use: the decorators
# and indicators, the history helpers, and the standard modules Ruffus' task.py imports.
for _n in (
    "active_if", "check_if_uptodate", "collate", "files", "files_re", "follows", "formatter", "graphviz",
    "inputs", "jobs_limit", "merge", "mkdir", "needs_update_check_modify_time", "originate", "parallel",
    "posttask", "regex", "register_cleanup", "run_in_main_process", "split", "subdivide", "suffix",
    "touch_file", "transform", "lookup_pipeline",
):
    setattr(task, _n, getattr(ruffus_luigi, _n))
for _n in ("CHECKSUM_FILE_TIMESTAMPS", "JobHistoryChecksum", "get_default_checksum_level", "get_history_file_path", "open_job_history"):
    setattr(task, _n, getattr(ruffus_utility, _n))
_TASK_STDLIB = ("copy", "functools", "glob", "json", "multiprocessing", "os", "pickle", "queue", "re",
                "signal", "subprocess", "sys", "textwrap", "time", "traceback")


def _task_module_attribute(name: str) -> types.ModuleType:
    """A standard module ``ruffus.task`` has, imported when asked (json, multiprocessing: 10 ms)."""
    if name in _TASK_STDLIB:
        return importlib.import_module(name)
    raise AttributeError("module 'ruffus.task' has no attribute %r" % name)


task.__getattr__ = _task_module_attribute
task.__all__ = sorted({n for n in vars(task) if not n.startswith("_")} | set(_TASK_STDLIB))

dbdict = _alias("dbdict", types.ModuleType("ruffus.dbdict"))
dbdict.open = lambda filename, *a, **k: _store.JobHistory(filename)

ruffus_version = _alias("ruffus_version", types.ModuleType("ruffus.ruffus_version"))
ruffus_version.__version = __version__

_ON_FIRST_USE = ("cmdline", "proxy_logger", "drmaa_wrapper")


def __getattr__(name: str) -> types.ModuleType:
    """``ruffus.cmdline`` and friends, imported when first used (each a module file here).

    Most runs never use them, and they take 10 ms to import (``multiprocessing.managers``,
    argument parsers, the cluster back ends).
    """
    if name in _ON_FIRST_USE:
        return importlib.import_module("ruffus." + name)
    raise AttributeError("module 'ruffus' has no attribute %r" % name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_FIRST_USE})


# Ruffus' internal modules that `from ruffus import *` also binds; only their public
# functions that ruffus-luigi has are reachable through them.
graph = _alias("graph", importlib.import_module("ruffus_luigi.planning.graph"))
print_dependencies = _alias("print_dependencies", graph)
file_name_parameters = _alias("file_name_parameters", types.ModuleType("ruffus.file_name_parameters"))
for _n in ("suffix", "regex", "formatter", "inputs", "add_inputs", "needs_update_check_modify_time"):
    setattr(file_name_parameters, _n, getattr(ruffus_luigi, _n))
adjacent_pairs_iterate = _alias("adjacent_pairs_iterate", types.ModuleType("ruffus.adjacent_pairs_iterate"))

# Ruffus 3.0.0 keeps these out of its top level (combinatorics lives in ruffus.combinatorics).
for _n in ("product", "permutations", "combinations", "combinations_with_replacement", "task_decorator", "main_pipeline"):
    del globals()[_n]

# What `from ruffus import *` binds in Ruffus 3.0.0 (it has no __all__: every public name).
__all__ = [
    "JobSignalledBreak", "Pipeline", "Task", "active_if", "add_inputs", "adjacent_pairs_iterate",
    "black_hole_logger", "check_if_uptodate", "cmdline", "collate", "combinatorics", "combine",
    "dbdict", "file_name_parameters", "files", "files_re", "follows", "formatter", "graph",
    "graph_colour_demo_printout", "graphviz", "inputs", "jobs_limit", "lookup_pipeline", "merge",
    "mkdir", "needs_update_check_modify_time", "originate", "output_from", "parallel",
    "pipeline_get_task_names", "pipeline_printout", "pipeline_printout_graph", "pipeline_run",
    "posttask", "print_dependencies", "proxy_logger", "regex", "register_cleanup",
    "ruffus_exceptions", "ruffus_utility", "ruffus_version", "run_in_main_process",
    "runtime_parameter", "split", "stderr_logger", "subdivide", "suffix", "task", "touch_file",
    "transform",
]
