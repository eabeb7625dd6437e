"""``ruffus.cmdline``: the command-line options Ruffus scripts build on, and ``run(options)``.

Option names, destinations, defaults and help texts are Ruffus 3.0.0's (scripts and
their users depend on them). ruffus-luigi adds its own options in a separate group,
so an unchanged script gains them: ``--scheduler-host``, ``--scheduler-port``,
``--jobs-per-luigi-task``, ``--backend``, ``--checkpoint``.
"""

from __future__ import annotations

import argparse
import logging
import optparse
import re
import sys
from typing import Any

from . import proxy_logger
from .api.pipeline_run import pipeline_run
from .model import pipeline_calls
from .model.loggers import black_hole_logger, stderr_logger
from .planning.graph import pipeline_printout_graph
from .planning.history_settings import CHECKSUM_REGENERATE
from .planning.printout import pipeline_printout
from .settings import table as settings_table

MESSAGE = 15
logging.addLevelName(MESSAGE, "MESSAGE")

flowchart_formats = ["svg", "svgz", "png", "jpg", "psd", "tif", "eps", "pdf", "dot"]
_quoted = ["%r" % f for f in flowchart_formats]
flowchart_formats_str = ", ".join(_quoted[:-1]) + ", or " + _quoted[-1]

extra_pipeline_printout_graph_options = [
    "ignore_upstream_of_target",
    "skip_uptodate_tasks",
    "gnu_make_maximal_rebuild_mode",
    "test_all_task_for_update",
    "minimal_key_legend",
    "user_colour_scheme",
    "pipeline_name",
    "size",
    "dpi",
    "history_file",
    "checksum_level",
    "runtime_data",
]
extra_pipeline_printout_options = [
    "indent",
    "gnu_make_maximal_rebuild_mode",
    "checksum_level",
    "history_file",
    "wrap_width",
    "runtime_data",
]
extra_pipeline_run_options = [
    "gnu_make_maximal_rebuild_mode",
    "runtime_data",
    "one_second_per_job",
    "history_file",
    "logger",
    "exceptions_terminate_immediately",
    "log_exceptions",
    "checksum_level",
    "multithread",
]


def get_argparse(*args: Any, **kwargs: Any) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` with Ruffus' options (``version=``, ``ignored_args=`` as in Ruffus)."""
    parser_kwargs = {k: v for k, v in kwargs.items() if k not in ("version", "ignored_args")}
    return append_to_argparse(argparse.ArgumentParser(*args, **parser_kwargs), **kwargs)


def _ignored(kwargs: dict) -> set[str]:
    ignored = kwargs.get("ignored_args", ())
    if isinstance(ignored, str):
        return {ignored}
    try:
        return set(ignored)
    except Exception:
        raise Exception("Error: expected ignored_args = ['list_of', 'option_names']") from None


def append_to_argparse(parser: argparse.ArgumentParser, **kwargs: Any) -> argparse.ArgumentParser:
    """Add Ruffus' options (and ruffus-luigi's) to an existing parser."""
    ignored = _ignored(kwargs)
    common = parser.add_argument_group("Common options")
    if "verbose" not in ignored:
        common.add_argument(
            "--verbose", "-v", const="+", default=[], nargs="?", action="append",
            help="Print more verbose messages for each additional verbose level.",
        )
    if "version" not in ignored:
        common.add_argument("--version", action="version", version=kwargs.get("version", "%(prog)s 1.0"))
    if "log_file" not in ignored:
        common.add_argument("-L", "--log_file", metavar="FILE", type=str, help="Name and path of log file")

    group = parser.add_argument_group("pipeline arguments")
    options = [
        ("target_tasks", ("-T", "--target_tasks"), dict(action="append", metavar="JOBNAME", type=str, default=[], help="Target task(s) of pipeline.")),
        ("jobs", ("-j", "--jobs"), dict(default=1, metavar="N", type=int, help="Allow N jobs (commands) to run simultaneously.")),
        ("use_threads", ("--use_threads",), dict(action="store_true", help="Use multiple threads rather than processes. Needs --jobs N with N > 1")),
        ("just_print", ("-n", "--just_print"), dict(action="store_true", help="Don't actually run any commands; just print the pipeline.")),
        ("touch_files_only", ("--touch_files_only",), dict(action="store_true", help="Don't actually run any commands; just 'touch' the output for each task to make them appear up to date.")),
        ("recreate_database", ("--recreate_database",), dict(action="store_true", help="Don't actually run any commands; just recreate the checksum database.")),
        ("checksum_file_name", ("--checksum_file_name",), dict(dest="history_file", metavar="FILE", type=str, help="Path of the checksum file.")),
        ("flowchart", ("--flowchart",), dict(metavar="FILE", type=str, help="Don't run any commands; just print pipeline as a flowchart.")),
        ("key_legend_in_graph", ("--key_legend_in_graph",), dict(action="store_true", help="Print out legend and key for dependency graph.")),
        ("draw_graph_horizontally", ("--draw_graph_horizontally",), dict(action="store_true", dest="draw_horizontally", help="Draw horizontal dependency graph.")),
        ("flowchart_format", ("--flowchart_format",), dict(metavar="FORMAT", type=str, choices=flowchart_formats, default=None, help="format of dependency graph file. Can be %s. Defaults to the file name extension of --flowchart FILE." % flowchart_formats_str)),
        ("forced_tasks", ("--forced_tasks",), dict(action="append", metavar="JOBNAME", type=str, default=[], help="Task(s) which will be included even if they are up to date.")),
    ]
    for name, flags, spec in options:
        if name not in ignored:
            group.add_argument(*flags, **spec)

    ours = parser.add_argument_group("ruffus-luigi arguments")
    for name, flag, spec in _LUIGI_OPTIONS:
        if name not in ignored:
            ours.add_argument(flag, dest=name, **spec)
    if ours._group_actions:
        _keep_ruffus_abbreviations_argparse(parser)
    return parser


# ruffus-luigi's own options, declared in the settings table: (name for ignored_args and dest, flag, argparse keywords)
_LUIGI_OPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    (s.name, s.flag, dict(metavar=s.metavar, type=s.type, default=s.flag_default, help=s.flag_help))
    for s in settings_table.FLAGS
]


_LUIGI_DESTS = frozenset(name for name, _flag, _spec in _LUIGI_OPTIONS)


def _keep_ruffus_abbreviations_argparse(parser: argparse.ArgumentParser) -> None:
    """Abbreviations mean what they mean under Ruffus (``--job 4`` is ``--jobs 4``).

    Without this, ``--jobs-per-luigi-task`` would make ``--jo``/``--job`` ambiguous.
    An abbreviation matching only ruffus-luigi's options still selects them.
    """
    find = parser._get_option_tuples

    def option_tuples(option_string: str) -> list:
        found = find(option_string)
        theirs = [t for t in found if t[0].dest not in _LUIGI_DESTS]
        return theirs or found

    parser._get_option_tuples = option_tuples  # type: ignore[method-assign]


def _keep_ruffus_abbreviations_optparse(parser: optparse.OptionParser) -> None:
    """The optparse counterpart of ``_keep_ruffus_abbreviations_argparse``."""
    match = parser._match_long_opt

    def match_long_opt(opt: str) -> str:
        if opt not in parser._long_opt:
            theirs = sorted(
                w for w, option in parser._long_opt.items()
                if w.startswith(opt) and option.dest not in _LUIGI_DESTS
            )
            if len(theirs) == 1:
                return theirs[0]
            if theirs:
                raise optparse.AmbiguousOptionError(opt, theirs)
        return match(opt)

    parser._match_long_opt = match_long_opt  # type: ignore[method-assign]


def vararg_callback(option: optparse.Option, opt_str: str, value: Any, parser: optparse.OptionParser) -> None:
    """optparse ``--verbose [SPEC]``: take the next argument as SPEC unless it is an option.

    As in Ruffus, the specifiers go into the option's default list itself, so parsing
    twice with one parser accumulates them.
    """
    specs = getattr(parser.values, option.dest, None)
    if specs is None:
        specs = []
    if parser.rargs and not parser.rargs[0].startswith("-"):
        specs.append(parser.rargs.pop(0))
    else:
        specs.append("+")
    setattr(parser.values, option.dest, specs)


def get_optparse(*args: Any, **kwargs: Any) -> optparse.OptionParser | None:
    """An ``optparse.OptionParser`` with Ruffus' options, for scripts still on optparse.

    ``version=`` goes to ``OptionParser`` (its ``--version``); ``ignored_args=`` as in Ruffus.
    """
    parser_kwargs = {k: v for k, v in kwargs.items() if k != "ignored_args"}
    return append_to_optparse(optparse.OptionParser(*args, **parser_kwargs), **kwargs)


def append_to_optparse(parser: optparse.OptionParser, **kwargs: Any) -> optparse.OptionParser | None:
    """Add Ruffus' optparse options (``-t`` for target tasks) and ruffus-luigi's.

    Ruffus 3.0.0 quirks kept because scripts see them: ``--draw_graph_horizontally`` is
    left out when ``flowchart_format`` is ignored, and None is returned when
    ``forced_tasks`` is ignored.
    """
    ignored = _ignored(kwargs)
    if "verbose" not in ignored:
        # type/nargs=0 let optparse accept --verbose=N with a callback
        parser.add_option(
            "-v", "--verbose", dest="verbose", action="callback", default=[], type=int, nargs=0,
            callback=vararg_callback,
            help="Print more verbose messages for each additional verbose level.",
        )
    if "log_file" not in ignored:
        parser.add_option("-L", "--log_file", dest="log_file", metavar="FILE", type="string", help="Name and path of log file")
    options = [
        ("target_tasks", ("-t", "--target_tasks"), dict(action="append", default=[], metavar="JOBNAME", type="string", help="Target task(s) of pipeline.")),
        ("jobs", ("-j", "--jobs"), dict(default=1, metavar="N", type="int", help="Allow N jobs (commands) to run simultaneously.")),
        ("use_threads", ("--use_threads",), dict(action="store_true", default=False, help="Use multiple threads rather than processes. Needs --jobs N with N > 1")),
        ("just_print", ("-n", "--just_print"), dict(action="store_true", default=False, help="Don't actually run any commands; just print the pipeline.")),
        ("touch_files_only", ("--touch_files_only",), dict(action="store_true", default=False, help="Don't actually run any commands; just 'touch' the output for each task to make them appear up to date.")),
        ("recreate_database", ("--recreate_database",), dict(action="store_true", default=False, help="Don't actually run any commands; just recreate the checksum database.")),
        ("checksum_file_name", ("--checksum_file_name",), dict(dest="history_file", metavar="FILE", type="string", help="Path of the checksum file.")),
        ("flowchart", ("--flowchart",), dict(metavar="FILE", type="string", help="Don't actually run any commands; just print the pipeline as a flowchart.")),
        ("key_legend_in_graph", ("--key_legend_in_graph",), dict(action="store_true", default=False, help="Print out legend and key for dependency graph.")),
        ("flowchart_format", ("--draw_graph_horizontally",), dict(dest="draw_horizontally", action="store_true", default=False, help="Draw horizontal dependency graph.")),
        ("flowchart_format", ("--flowchart_format",), dict(metavar="FORMAT", type="string", default=None, help="format of dependency graph file. Can be %s. Defaults to the file name extension of --flowchart FILE." % flowchart_formats_str)),
        ("forced_tasks", ("--forced_tasks",), dict(action="append", default=[], metavar="JOBNAME", type="string", help="Pipeline task(s) which will be included even if they are up to date.")),
    ]
    for name, flags, spec in options:
        if name not in ignored:
            spec.setdefault("dest", flags[-1][2:])
            parser.add_option(*flags, **spec)

    ours = optparse.OptionGroup(parser, "ruffus-luigi arguments")
    for name, flag, spec in _LUIGI_OPTIONS:
        if name not in ignored:
            spec = dict(spec, type={str: "string", int: "int"}[spec["type"]])
            ours.add_option(flag, dest=name, **spec)
    if ours.option_list:
        parser.add_option_group(ours)
        _keep_ruffus_abbreviations_optparse(parser)
    return None if "forced_tasks" in ignored else parser


def setup_logging(module_name: str, log_file_name: str | None, verbose: Any) -> tuple[Any, Any]:
    """A logger and mutex shared by every worker process (``proxy_logger``)."""
    return proxy_logger.make_shared_logger_and_proxy(setup_logging_factory, module_name, [log_file_name, verbose])


class _FileFormatter(logging.Formatter):
    """Ruffus' log file layout: a dated header line before the first record.

    Ruffus 3.0.0 also assigns per-level layouts to ``Formatter._fmt``, which Python 3's
    ``logging`` never reads; the file therefore always shows the constructor's format,
    and so does this one.
    """

    first_used = False

    def format(self, record: logging.LogRecord) -> str:
        prefix = ""
        if not self.first_used:
            self.first_used = True
            prefix = "\n%s %s\n" % (self.formatTime(record, "%Y-%m-%d"), record.name)
        return prefix + super().format(record)


class _NotInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno != logging.INFO


def setup_logging_factory(logger_name: str, args: Any) -> logging.Logger:
    """The logger ``setup_logging`` shares: a log file and/or stderr, as Ruffus sets them up."""
    log_file_name, verbose = args
    logger = logging.getLogger(logger_name)
    logger.setLevel(logging.DEBUG)
    if log_file_name:
        handler = logging.FileHandler(log_file_name, delay=False)
        handler.setFormatter(_FileFormatter("%(asctime)s - %(name)s - %(levelname)6s - %(message)s", "%H:%M:%S"))
        handler.setLevel(MESSAGE)
        logger.addHandler(handler)
    if verbose:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("    %(message)s"))
        stream.setLevel(logging.DEBUG)
        if log_file_name:
            stream.addFilter(_NotInfo())
        logger.addHandler(stream)
    if not log_file_name and not verbose:
        logger.addHandler(logging.NullHandler())
    return logger


_VERBOSITY = re.compile(r"(\+)|(\d+)(?::(\-?\d+))?")


def handle_verbose(options: Any) -> Any:
    """Turn ``--verbose`` specifiers (``+``, ``N``, ``N:M``) into ``verbose`` and ``verbose_abbreviated_path``."""
    if options.verbose is None or isinstance(options.verbose, int):
        if not hasattr(options, "verbose_abbreviated_path"):
            options.verbose_abbreviated_path = None
        return options
    specifiers = [options.verbose] if isinstance(options.verbose, str) else options.verbose
    verbosity, abbreviated = 0, None
    for spec in specifiers:
        match = _VERBOSITY.match(spec)
        if not match:
            raise Exception(
                "error: verbosity argument is specified as --verbose INT or --verbose INT:INT. invalid value '%s'" % spec
            )
        if match.group(1):
            verbosity += 1
        else:
            verbosity = int(match.group(2))
            if match.group(3):
                abbreviated = int(match.group(3))
    if not hasattr(options, "verbose_abbreviated_path"):
        options.verbose_abbreviated_path = abbreviated
    options.verbose = verbosity
    return options


def get_extra_options_appropriate_for_command(names: list[str], extra_options: dict) -> dict:
    """The subset of ``extra_options`` a given pipeline function accepts."""
    return {name: extra_options[name] for name in names if name in extra_options}


_OPTION_NAMES = [
    "just_print", "verbose", "flowchart", "flowchart_format", "target_tasks", "forced_tasks",
    "draw_horizontally", "key_legend_in_graph", "use_threads", "jobs", "recreate_database",
    "touch_files_only", "history_file",
]


def run(options: Any, **extra_options: Any) -> bool:
    """Print, draw or run the pipeline as the options say; True when it ran."""
    for name in _OPTION_NAMES:
        if not hasattr(options, name):
            setattr(options, name, None)
    options = handle_verbose(options)
    if options.recreate_database:
        touch_files_only: Any = CHECKSUM_REGENERATE
    else:
        touch_files_only = bool(options.touch_files_only)

    if options.just_print:
        pipeline_printout(
            sys.stdout, options.target_tasks, options.forced_tasks,
            history_file=options.history_file,
            verbose_abbreviated_path=options.verbose_abbreviated_path,
            verbose=options.verbose,
            checkpoint=getattr(options, "checkpoint", None),
            **get_extra_options_appropriate_for_command(extra_pipeline_printout_options, extra_options),
        )
        return False
    if options.flowchart:
        graph_options = get_extra_options_appropriate_for_command(extra_pipeline_printout_graph_options, extra_options)
        # (``ruffus-luigi status``: stop before the file is made)
        pipeline_calls.intercept(dict(
            graph_options, target_tasks=options.target_tasks, forcedtorun_tasks=options.forced_tasks,
            history_file=options.history_file, checkpoint=getattr(options, "checkpoint", None),
        ))
        with open(options.flowchart, "wb") as stream:
            pipeline_printout_graph(
                stream, options.flowchart_format, options.target_tasks, options.forced_tasks,
                history_file=options.history_file,
                draw_vertically=not options.draw_horizontally,
                no_key_legend=not options.key_legend_in_graph,
                checkpoint=getattr(options, "checkpoint", None),
                **graph_options,
            )
        return False

    if options.use_threads and "multithread" not in extra_options and options.jobs and options.jobs > 1:
        multithread = options.jobs
    else:
        multithread = extra_options.pop("multithread", None)
    logger = extra_options.get("logger")
    if logger is None:
        extra_options["logger"] = stderr_logger
    elif logger == False:  # noqa: E712 - Ruffus compares with ==, so 0 also silences
        extra_options["logger"] = black_hole_logger
    # ruffus-luigi's options; the port also serves a host from RUFFUS_LUIGI_SCHEDULER_HOST
    ours = {name: getattr(options, name) for name in _LUIGI_DESTS if getattr(options, name, None) is not None}
    pipeline_run(
        options.target_tasks, options.forced_tasks,
        multiprocess=options.jobs,
        multithread=multithread,
        verbose=options.verbose,
        touch_files_only=touch_files_only,
        history_file=options.history_file,
        verbose_abbreviated_path=options.verbose_abbreviated_path,
        **get_extra_options_appropriate_for_command(extra_pipeline_run_options, extra_options),
        **ours,
    )
    return True
