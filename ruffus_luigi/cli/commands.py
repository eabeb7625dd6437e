"""The ``ruffus-luigi`` command: run a Ruffus script unchanged on Luigi."""

from __future__ import annotations

import argparse
import ast
import builtins
import importlib.machinery
import io
import os
import runpy
import sys
import types
import zipfile
from pathlib import Path

from .. import __version__
from ..backends.base import BackendUnavailable, PluginLoadError, UnknownBackend
from ..execution.private_dirs import ForeignDirectory
from ..settings import config
from ..settings import table as settings_table

SHIM = str(Path(__file__).resolve().parent.parent / "shim")


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


def main_file_name(script: str) -> str:
    """The file name ``python SCRIPT`` gives the script's code and ``__file__``.

    Python joins a relative name to the working directory without normalizing it
    (``./p.py`` becomes ``/cwd/./p.py``). Code objects carry that name, and Ruffus'
    level 2 and 3 checksums marshal the code of nested functions, comprehensions and
    lambdas with it: compiled under any other name, the script's tasks would look
    changed to Ruffus and Ruffus' to us.
    """
    if os.path.isabs(script):
        return script
    return os.getcwd() + os.sep + script


def run_main_script(filename: str) -> None:
    """Run a script as ``__main__``, its code objects exactly as ``python SCRIPT`` makes them.

    Python keeps the script's syntax tree alive while the script runs, so every
    constant and name of its code is referenced twice; ``marshal`` (which Ruffus'
    level 2 and 3 checksums use on nested code) flags such objects as shared, so
    their bytes differ from those of code compiled by ``compile(source)``, whose
    tree is gone. Keeping the tree for the run gives Ruffus' checksums.
    A directory or zip file with a ``__main__.py`` goes through ``runpy``.
    """
    if not os.path.isfile(filename) or zipfile.is_zipfile(filename):
        runpy.run_path(filename, run_name="__main__")
        return
    with io.open_code(filename) as f:
        source = f.read()
    tree = ast.parse(source, filename)  # (referenced until the script has run)
    code = compile(tree, filename, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__file__ = filename
    main.__cached__ = None
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", filename)
    main.__builtins__ = builtins
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    finally:
        sys.modules["__main__"] = saved


def _list_backends(show_options: bool) -> int:
    """One line per installed back end: name, then the distribution and entry point providing it;
    with ``show_options``, the options it declares (``backends.options``), one per line."""
    # (each subcommand imports what it uses: `ruffus-luigi run` loads none of it)
    from .. import plugins
    from ..backends import options as backend_options

    pm = plugins.manager()
    dists = {pm.get_name(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    chosen = config.backend()
    for name, (factory, plugin) in sorted(plugins.backend_factories().items()):
        dist = dists.get(plugin)
        where = "%s %s" % (dist.project_name, dist.version) if dist is not None else "registered by hand"
        print("%-12s %s (entry point %s)%s" % (name, where, plugin, "  [chosen]" if name == chosen else ""))
        if show_options:
            typed = backend_options.declared(factory)
            lines = backend_options.describe(typed) if typed is not None else ["(not declared: given as written)"]
            for line in lines or ["(none)"]:
                print("    " + line)
    return 0


def _status(options: argparse.Namespace) -> int:
    """``ruffus-luigi status [SCRIPT ARGS]``: report, never run (``status``)."""
    # (each subcommand imports what it uses: `ruffus-luigi run` loads none of it)
    from ..checkpoints.intermediates import status_report
    from ..errors.clear_errors import ClearError
    from ..model import pipeline_calls
    from ..planning.history_settings import get_default_history_file_name
    from . import status

    # a file name need not be text (os.fsdecode's surrogates): its own bytes are written,
    # as Python does under the C locale, instead of a UnicodeEncodeError under a UTF-8 one
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="surrogateescape")
    try:
        if options.script is None:
            history_file = options.history_file or get_default_history_file_name()
            if not os.path.exists(history_file):
                print("no job history at %s: nothing has run here yet" % os.path.abspath(history_file))
                return 0
            with status.private_history(history_file) as copy:
                print(status_report(history_file, copy), end="")
            return 0
        if options.checkpoint:
            config.set_for_children("checkpoint", options.checkpoint)
        call = None
        with pipeline_calls.capturing():
            try:
                code = _run_script(options.script, options.args)
            except pipeline_calls.PipelineCall as e:
                call = e.arguments
        if call is None:
            if code:
                return code
            print("ruffus-luigi: %s never called pipeline_run: nothing to report" % options.script, file=sys.stderr)
            return 1
        if options.history_file:
            call["history_file"] = options.history_file
        report = status.plan(call)
    except ClearError as e:
        print("ruffus-luigi: %s" % e, file=sys.stderr)
        return 1
    print(status.as_json(report) if options.json else status.text(report, options.verbose), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``ruffus-luigi`` and ``python -m ruffus_luigi``."""
    parser = argparse.ArgumentParser(
        prog="ruffus-luigi", description="Run Ruffus pipelines, unchanged, on Luigi."
    )
    parser.add_argument("--version", action="version", version=f"ruffus-luigi {__version__}")
    parser.add_argument("--scheduler-host", help="run against the luigid on this host")
    parser.add_argument("--scheduler-port", type=int, default=settings_table.BY_NAME["scheduler_port"].default, help="luigid port (8082)")
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
        help="where the script's jobs run: local (default) or an installed back end such as "
        "drmaa or slurm (see `ruffus-luigi backends`); overrides RUFFUS_LUIGI_BACKEND and luigi.cfg",
    )
    run.add_argument(
        "--reasons",
        action="store_true",
        help="a dry run (the script's -n, pipeline_printout) ends with why each job would run "
        "(sets RUFFUS_LUIGI_REASONS=1)",
    )
    # (also accepted after `run`, as --backend and --checkpoint are; there they win)
    run.add_argument("--scheduler-host", default=argparse.SUPPRESS, help="run against the luigid on this host")
    run.add_argument("--scheduler-port", type=int, default=argparse.SUPPRESS, help="luigid port (8082)")
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    backends = sub.add_parser("backends", help="list the installed back ends and the plugin providing each")
    backends.add_argument(
        "--options", action="store_true", help="and the options each takes in [ruffus_luigi.backend.<name>]"
    )
    sub.add_parser("shim-path", help="print the directory of the `ruffus` import alias")
    status = sub.add_parser(
        "status",
        help="what a run of SCRIPT would do, task by task (nothing runs); without SCRIPT, the files "
        "zeroed or removed by checkpoint strategies and the space saved",
    )
    status.add_argument(
        "--history-file", default=None, help="the job history (default: as the script's pipeline_run finds it)"
    )
    status.add_argument(
        "--checkpoint", metavar="NAME[,NAME...]", help="plan with these checkpoint strategies, as `run --checkpoint` would"
    )
    status.add_argument("--json", action="store_true", help="the versioned JSON document (docs/status.md)")
    status.add_argument("-v", "--verbose", action="count", default=0, help="the reason each out-of-date job runs")
    status.add_argument("script", nargs="?")
    status.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    if options.command == "shim-path":
        print(shim_path())
        return 0
    if options.command == "backends":
        try:
            return _list_backends(options.options)
        except PluginLoadError as e:
            print("ruffus-luigi: %s" % e, file=sys.stderr)
            return 2
    if options.command == "status":
        return _status(options)
    if options.backend:
        config.set_for_children("backend", options.backend)
    if options.checkpoint:
        config.set_for_children("checkpoint", options.checkpoint)
    if options.reasons:
        config.set_for_children("reasons", "1")
    if options.scheduler_host:
        config.set_for_children("scheduler_url", "http://%s:%d/" % (options.scheduler_host, options.scheduler_port))
    return _run_script(options.script, options.args)


def _run_script(script: str, args: list[str]) -> int:
    """Run SCRIPT ARGS with ``import ruffus`` giving ruffus-luigi; the exit status it ends with."""
    _use_shim()
    sys.argv = [script, *args]
    sys.path.insert(0, str(Path(script).resolve().parent))
    try:
        run_main_script(main_file_name(script))
    except (UnknownBackend, BackendUnavailable, ForeignDirectory, PluginLoadError) as e:  # a setting, not a bug: one line
        print("ruffus-luigi: %s" % e, file=sys.stderr)
        return 2
    except SystemExit as e:
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return 0
