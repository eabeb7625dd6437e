"""The ``ruffus-luigi`` command: run a Ruffus script unchanged on Luigi."""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path

from . import __version__

SHIM = str(Path(__file__).resolve().parent / "shim")


def shim_path() -> str:
    """The directory that, first on PYTHONPATH, makes ``import ruffus`` give ruffus-luigi."""
    return SHIM


def _use_shim() -> None:
    """Resolve ``ruffus`` to ruffus-luigi here and in every process started from here."""
    sys.path.insert(0, SHIM)
    for name in [m for m in sys.modules if m == "ruffus" or m.startswith("ruffus.")]:
        del sys.modules[name]
    current = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = SHIM + (os.pathsep + current if current else "")


def _list_backends() -> int:
    """One line per installed back end: name, then the distribution and entry point providing it."""
    from . import config, plugins

    pm = plugins.manager()
    dists = {pm.get_name(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    chosen = config.backend()
    for name, (_, plugin) in sorted(plugins.backend_factories().items()):
        dist = dists.get(plugin)
        where = "%s %s" % (dist.project_name, dist.version) if dist is not None else "registered by hand"
        print("%-12s %s (entry point %s)%s" % (name, where, plugin, "  [chosen]" if name == chosen else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``ruffus-luigi`` and ``python -m ruffus_luigi``."""
    parser = argparse.ArgumentParser(
        prog="ruffus-luigi", description="Run Ruffus pipelines, unchanged, on Luigi."
    )
    parser.add_argument("--version", action="version", version=f"ruffus-luigi {__version__}")
    parser.add_argument("--scheduler-host", help="run against the luigid on this host")
    parser.add_argument("--scheduler-port", type=int, default=8082, help="luigid port (8082)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run SCRIPT [ARGS...] as `python SCRIPT ARGS` would")
    run.add_argument(
        "--checkpoint",
        metavar="NAME[,NAME...]",
        help="checkpoint strategies for the script's pipeline_run: history (default), atomic, "
        "zero-intermediates, remove-intermediates, ...",
    )
    run.add_argument(
        "--backend",
        metavar="NAME",
        help="where the script's jobs run: local (default), drmaa, slurm, or any installed "
        "back end (see `ruffus-luigi backends`); overrides RUFFUS_LUIGI_BACKEND and luigi.cfg",
    )
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("backends", help="list the installed back ends and the plugin providing each")
    sub.add_parser("shim-path", help="print the directory of the `ruffus` import alias")
    status = sub.add_parser("status", help="files zeroed or removed by checkpoint strategies, and the space saved")
    status.add_argument(
        "--history-file", default=None, help="the job history (default: as pipeline_run finds it)"
    )
    options = parser.parse_args(argv)
    if options.command == "shim-path":
        print(shim_path())
        return 0
    if options.command == "backends":
        return _list_backends()
    if options.command == "status":
        from .checkpoints.intermediates import status_report
        from .clear_errors import DamagedHistory
        from .history import get_default_history_file_name

        try:
            print(status_report(options.history_file or get_default_history_file_name()), end="")
        except DamagedHistory as e:
            print("ruffus-luigi: %s" % e, file=sys.stderr)
            return 1
        return 0
    if options.backend:
        os.environ["RUFFUS_LUIGI_BACKEND"] = options.backend
    if options.checkpoint:
        os.environ["RUFFUS_LUIGI_CHECKPOINT"] = options.checkpoint
    if options.scheduler_host:
        os.environ["RUFFUS_LUIGI_SCHEDULER_URL"] = "http://%s:%d/" % (
            options.scheduler_host,
            options.scheduler_port,
        )
    _use_shim()
    sys.argv = [options.script, *options.args]
    sys.path.insert(0, str(Path(options.script).resolve().parent))
    try:
        runpy.run_path(options.script, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return 0
