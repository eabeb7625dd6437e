"""Malformed declarations behave exactly as under Ruffus 3.0.0, and no job runs first.

Each case is a small script run under real Ruffus and under ruffus-luigi, each in
its own subprocess and in the same absolute directory (renamed in and out, so paths
in messages agree) holding a few input files. A case is run twice per
implementation: once ending in ``pipeline_printout`` and once in ``pipeline_run``,
each in a fresh directory. Compared, between the two: the exception's type name and
text (tracebacks aside), the printout, the messages given to the run's logger,
Python warnings, the jobs that ran and the files changed. Each case also states what
Ruffus itself does (its exception, where it is raised, and that the message names
the task and the offending parameter), so the reference is checked too.

Where Ruffus raises, no job may run and the directory must be left exactly as it
was (names, mtimes and contents; the history sqlite file aside). Most of those cases
declare an independent, valid ``@originate`` task (``good``) before the bad one, so
the error must come before any job at all runs. Where Ruffus only warns, the warning
text is compared at several verbose levels; where Ruffus accepts the declaration and
runs the job, the same jobs with the same parameters must run. Those cases have no
``good`` task: Ruffus orders independent tasks by object id, so their printout order
is not reproducible.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INPUTS = {"a.in": "a\n", "b.in": "b\n", "c.txt": "c\n"}

# Runs the case script, then pipeline_printout or pipeline_run; prints one JSON line.
HARNESS = textwrap.dedent(
    """
    import io, json, sys, warnings
    script, mode, verbose, joblog = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

    def ran(*args):
        with open(joblog, "a") as f:
            f.write(repr(args) + "\\n")

    class Log:
        def __init__(self):
            self.lines = []
        def _add(self, level, msg, *args):
            self.lines.append([level, str(msg) % args if args else str(msg)])
        def debug(self, msg, *a, **k): self._add("debug", msg, *a)
        def info(self, msg, *a, **k): self._add("info", msg, *a)
        def warning(self, msg, *a, **k): self._add("warning", msg, *a)
        def error(self, msg, *a, **k): self._add("error", msg, *a)
        def critical(self, msg, *a, **k): self._add("critical", msg, *a)
        def log(self, level, msg, *a, **k): self._add(str(level), msg, *a)

    log, out, stage, error = Log(), io.StringIO(), "declare", None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with open(script) as f:
                source = f.read()
            exec(compile(source, "case.py", "exec"), {"__name__": "__main__", "ran": ran})
            import ruffus
            stage = mode
            if mode == "printout":
                ruffus.pipeline_printout(out, verbose=verbose)
            else:
                ruffus.pipeline_run(verbose=verbose, logger=log)
            stage = "done"
        except BaseException as e:
            error = [type(e).__name__, str(e)]
    # library housekeeping (Luigi's own deprecations, unclosed files) is not the script's
    noise = (DeprecationWarning, PendingDeprecationWarning, ResourceWarning)
    found = [[w.category.__name__, str(w.message)] for w in caught if not issubclass(w.category, noise)]
    print(json.dumps({"stage": stage, "error": error, "printout": out.getvalue(), "log": log.lines, "warnings": found}))
    """
)

HEADER = "from ruffus import *\n"

# An independent, valid task declared first: it must not run when the bad task raises.
GOOD = textwrap.dedent(
    """
    @originate("good.out")
    def good(o):
        ran("good", o)
        with open(o, "w") as f:
            f.write("made")
    """
)

# The task under test records its parameters; *args keeps odd parameter counts from failing the job.
JOB = 'def bad_task(*args):\n    ran("bad_task", *args)\n'

NO_MATCH = ("def bad_task(...)", "No jobs were run because no file names matched.")


@dataclass(frozen=True)
class Case:
    """A malformed declaration and what Ruffus 3.0.0 does with it."""

    script: str
    raises: str | None = None  # Ruffus' exception type; None: Ruffus only warns, or runs the job
    when: str = "plan"  # "declare": the decorator/Pipeline call raises; "plan": printout and run do
    mentions: tuple[str, ...] = ()  # in Ruffus' message: the task and the offending parameter
    warns: tuple[str, ...] = ()  # in the run's logged warnings at verbose >= 1 (Ruffus only warns)
    detail: tuple[str, ...] = ()  # in the printout / run log at verbose >= 5 (Ruffus only warns)
    detail_in_run: bool = True  # detail is in the run's log too, not only in the printout
    verbose: tuple[int, ...] = (1,)
    printout_raises: bool = True  # False: Ruffus' printout makes no jobs for the task, so cannot raise
    xfail: str | None = None


def bad(decl: str, **kw) -> Case:
    """A case where Ruffus raises: ``good`` first, then ``decl`` (which may declare bad_task)."""
    return Case(GOOD + decl, **kw)


CASES: dict[str, Case] = {
    # -- regular expressions that do not compile -----------------------------------
    "transform_regex_does_not_compile": bad(
        '@transform(["a.in"], regex(r"(unclosed"), r"\\1.out")\n' + JOB,
        raises="error_task_transform",
        mentions=("task = 'bad_task'", "regex('(unclosed')", "missing ), unterminated subpattern"),
    ),
    "collate_regex_does_not_compile": bad(
        '@collate(["a.in", "b.in"], regex(r"[bad"), "x.out")\n' + JOB,
        raises="error_task_collate",
        mentions=("task = 'bad_task'", "regex('[bad')", "unterminated character set"),
    ),
    "subdivide_regex_does_not_compile": bad(
        '@subdivide(["a.in"], regex(r"(?P<"), "x.*", "x.out")\n' + JOB,
        raises="error_task_subdivide",
        mentions=("task = 'bad_task'", "regex('(?P<')", "missing group name"),
    ),
    "mkdir_regex_does_not_compile": bad(
        '@mkdir(["a.in"], regex("["), "x")\n@originate("x.out")\n' + JOB,
        raises="error_task_mkdir",
        # the mkdir is its own task, named after the task it precedes
        mentions=("before bad_task", "regex('[')", "unterminated character set"),
    ),
    "transform_formatter_regex_does_not_compile": bad(
        '@transform(["a.in"], formatter(r"(?P<x.+"), "{path[0]}/x.out")\n' + JOB,
        raises="error_task_transform",
        mentions=("task = 'bad_task'", "formatter('(?P<x.+',)", "unterminated name"),
    ),
    "collate_formatter_regex_does_not_compile": bad(
        '@collate(["a.in"], formatter(r"*.in"), "x.out")\n' + JOB,
        raises="error_task_collate",
        mentions=("task = 'bad_task'", "formatter('*.in',)", "nothing to repeat"),
    ),
    "product_formatter_regex_does_not_compile": bad(
        "from ruffus.combinatorics import product\n"
        '@product(["a.in"], formatter(r"(a"), ["b.in"], formatter(), "{basename[0][0]}.out")\n' + JOB,
        raises="error_task_product",
        mentions=("task = 'bad_task'", "formatter('(a',)", "unterminated subpattern"),
    ),
    "regex_given_two_patterns": bad(
        '@transform(["a.in"], regex("a", "b"), "x.out")\n' + JOB,
        raises="error_task_transform",
        mentions=("task = 'bad_task'", "regex('a', 'b') is malformed"),
    ),
    "suffix_given_no_string": bad(
        '@transform(["a.in"], suffix(5), "x.out")\n' + JOB,
        raises="error_task_transform",
        mentions=("task = 'bad_task'", "suffix('(5,)') is malformed"),
    ),
    "collate_with_suffix": bad(
        '@collate(["a.in"], suffix(".in"), ".out")\n' + JOB,
        raises="error_task_collate",
        # Ruffus names the task and what it expected, not the suffix() it was given
        mentions=("task = 'bad_task'", "@collate expects one of regex(), formatter()"),
    ),
    # -- replacement patterns referring to groups that do not exist ----------------
    "backreference_to_missing_group": bad(
        '@transform(["a.in"], regex(r"(.+)\\.in"), r"\\2.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\2.out'", "invalid group reference 2"),
    ),
    "unescaped_backreference": bad(
        '@transform(["a.in"], regex(r"(.+)\\.in"), "\\1.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "['\\1.out']", "need to be 'escaped'"),
    ),
    "named_backreference_to_missing_group": bad(
        '@transform(["a.in"], regex(r"(?P<stem>.+)\\.in"), r"\\g<nostem>.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\g<nostem>.out'", "unknown group name 'nostem'"),
    ),
    "extras_backreference_to_missing_group": bad(
        '@transform(["a.in"], regex(r"(.+)\\.in"), r"\\1.out", r"\\2")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\2'", "invalid group reference 2"),
    ),
    "add_inputs_backreference_to_missing_group": bad(
        '@transform(["a.in"], regex(r"(.+)\\.in"), add_inputs(r"\\2.x"), r"\\1.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\2.x'", "invalid group reference 2"),
    ),
    "suffix_backreference_to_missing_group": bad(
        '@transform(["a.in"], suffix(".in"), r"\\2.out")\n' + JOB,
        raises="RethrownJobError",
        # Ruffus passes re's own error through: the task, not the pattern, is named
        mentions=("Task = def bad_task(...)", "invalid group reference 2"),
    ),
    "formatter_unbalanced_brace": bad(
        '@transform(["a.in"], formatter(), "{basename[0].out")\n' + JOB,
        raises="RethrownJobError",
        # str.format's error only: the task, not the pattern, is named
        mentions=("Task = def bad_task(...)", "expected '}' before end of string"),
    ),
    # -- formatter fields that match nothing: Ruffus warns, and only at verbose 5 names the field
    "formatter_unknown_named_group": Case(
        '@transform(["a.in"], formatter(r"(?P<x>.+)\\.in"), "{y[0]}.out")\n' + JOB,
        warns=NO_MATCH,
        detail=("Unmatched field {y} in '{y[0]}.out'", "input =  ['a.in']"),
        verbose=(1, 5),
    ),
    "formatter_input_index_out_of_range": Case(
        '@transform(["a.in"], formatter(), "{basename[3]}.out")\n' + JOB,
        warns=NO_MATCH,
        detail=("Unmatched field {3} in '{basename[3]}.out'", "input =  ['a.in']"),
        verbose=(1, 5),
    ),
    "formatter_unknown_key": Case(
        '@transform(["a.in"], formatter(), "{nokey}.out")\n' + JOB,
        warns=NO_MATCH,
        detail=("Unmatched field {nokey} in '{nokey}.out'", "input =  ['a.in']"),
        verbose=(1, 5),
    ),
    "collate_formatter_unknown_key": Case(
        # one input: Ruffus keeps its per-input messages in a set, in no fixed order
        '@collate(["a.in"], formatter(), "{nokey}.out")\n' + JOB,
        warns=NO_MATCH,
        detail=("Unmatched field {nokey} in '{nokey}.out'",),
        verbose=(1, 5),
    ),
    "formatter_extras_unknown_key": Case(
        '@transform(["a.in"], formatter(), "{basename[0]}.out", "{nokey}")\n' + JOB,
        warns=NO_MATCH,
        detail=("Unmatched field {nokey} in '{nokey}'",),
        verbose=(1, 5),
    ),
    # -- suffix that matches no input: a warning whose wording depends on verbose -----
    "suffix_matches_no_input": Case(
        '@transform(["a.in"], suffix(".nomatch"), ".out")\n' + JOB,
        warns=NO_MATCH,
        detail=("File 'a.in' does not match suffix('.nomatch') and pattern '.out'",),
        verbose=(0, 1, 2, 3, 4, 5),
    ),
    "suffix_matches_no_input_with_output_dir": Case(
        '@transform(["a.in"], suffix(".txt"), ".out", output_dir="d")\n' + JOB,
        warns=NO_MATCH,
        # Ruffus names the input with output_dir already applied to it
        detail=("File 'd/a.in' does not match suffix('.txt') and pattern '.out'",),
        verbose=(1, 5),
    ),
    "suffix_matches_some_inputs": Case(
        # the matching input's job runs; the other one is reported at verbose >= 5
        '@transform(["a.in", "c.txt"], suffix(".in"), ".out")\n' + JOB,
        detail=("File 'c.txt' does not match suffix('.in') and pattern '.out'",),
        detail_in_run=False,  # the run lists the task as out of date, without the warning
        verbose=(1, 5),
    ),
    # -- inputs naming tasks that do not exist ---------------------------------------
    "output_from_unknown_task": bad(
        '@merge(output_from("no_such_task"), "x.out")\n' + JOB,
        raises="error_node_not_task",
        mentions=("def bad_task(...)", "task 'no_such_task' is not a pipelined task"),
    ),
    "follows_unknown_task": bad(
        '@follows("no_such_task")\n@originate("x.out")\n' + JOB,
        raises="error_node_not_task",
        mentions=("def bad_task(...)", "@follows('no_such_task')", "is not a pipelined task"),
    ),
    "follows_not_a_task": bad(
        '@follows(5)\n@originate("x.out")\n' + JOB,
        raises="error_decorator_args",
        mentions=("def bad_task(...)", "@follows(5)"),
    ),
    "input_string_naming_no_task": Case(
        # Ruffus 3 reads a plain string in the inputs as a file name, never as a task name:
        # an unknown one is a glob matching nothing, so only the no-match warning
        '@transform("no_such_task", suffix(".in"), ".out")\n' + JOB,
        warns=NO_MATCH,
        verbose=(1, 5),
    ),
    "undecorated_function_as_input": Case(
        # Ruffus makes a task of an undecorated function and runs it (it has no outputs, so
        # bad_task gets no inputs and no jobs): accepted, not an error
        'def plain():\n    ran("plain")\n@transform(plain, suffix(".in"), ".out")\n' + JOB,
    ),
    "undecorated_function_in_follows": Case(
        'def plain():\n    ran("plain")\n@follows(plain)\n@originate("x.out")\n' + JOB,
    ),
    "undecorated_function_in_output_from": Case(
        'def plain():\n    ran("plain")\n@transform(output_from(plain), suffix(".in"), ".out")\n' + JOB,
    ),
    # -- circular dependencies: Ruffus names the tasks on the cycle, no parameter ------
    "circular_via_follows": Case(
        '@follows("task_b")\n@originate("a.o")\ndef task_a(o):\n    ran("task_a")\n'
        '@follows(task_a)\n@originate("b.o")\ndef task_b(o):\n    ran("task_b")\n',
        raises="error_circular_dependencies",
        mentions=("Circular dependencies", "task_a", "task_b"),
    ),
    "circular_via_inputs": Case(
        '@transform(output_from("task_b"), suffix(".x"), ".y")\ndef task_a(i, o):\n    ran("task_a")\n'
        '@transform(task_a, suffix(".y"), ".x")\ndef task_b(i, o):\n    ran("task_b")\n',
        raises="error_circular_dependencies",
        mentions=("Circular dependencies", "task_a", "task_b"),
    ),
    "circular_with_tasks_after_it": Case(
        # only the tasks on the cycle are named, not the tasks depending on it. (With a task
        # before the cycle as well, Ruffus names that one too in some runs and not in others.)
        '@follows("task_c")\n@originate("a.o")\ndef task_a(o):\n    ran("task_a")\n'
        '@follows(task_a)\n@originate("b.o")\ndef task_b(o):\n    ran("task_b")\n'
        '@follows(task_b)\n@originate("c.o")\ndef task_c(o):\n    ran("task_c")\n'
        '@follows(task_c)\n@originate("t.o")\ndef tail(o):\n    ran("tail")\n'
        '@follows(task_a)\n@originate("t2.o")\ndef tail2(o):\n    ran("tail2")\n',
        raises="error_circular_dependencies",
        mentions=("(task_a, task_b, task_c)",),
    ),
    "circular_task_follows_itself": Case(
        '@follows("bad_task")\n@originate("x.out")\n' + JOB,
        raises="error_circular_dependencies",
        mentions=("Circular dependencies", "(bad_task)"),
    ),
    "circular_task_inputs_itself": Case(
        '@transform(["a.in", output_from("bad_task")], suffix(".in"), ".out")\n' + JOB,
        raises="error_circular_dependencies",
        mentions=("Circular dependencies", "(bad_task)"),
    ),
    # -- non-strings where a path is needed ---------------------------------------------
    "int_inputs": Case(
        # Ruffus skips non-strings when matching: no job, only the no-match warning
        '@transform([1, 2], suffix(".in"), ".out")\n' + JOB,
        warns=NO_MATCH,
        verbose=(1, 5),
    ),
    "none_in_inputs": Case('@transform([None], suffix(".in"), ".out")\n' + JOB, warns=NO_MATCH),
    "dict_in_inputs": Case('@transform([{"a": 1}], suffix(".in"), ".out")\n' + JOB, warns=NO_MATCH),
    "none_as_input": bad(
        '@transform(None, suffix(".in"), ".out")\n' + JOB,
        raises="RethrownJobError",
        # Python's TypeError is passed through: the task is named, the parameter only by its type
        mentions=("task = 'bad_task'", "object of type 'NoneType' has no len()"),
    ),
    "int_as_output_dir": bad(
        '@transform(["a.in"], suffix(".in"), ".out", output_dir=5)\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "expected str, bytes or os.PathLike object, not int"),
    ),
    # Ruffus accepts these and runs the job with the non-string as its output:
    "none_as_output": Case('@transform(["a.in"], suffix(".in"), None)\n' + JOB),
    "int_as_output": Case('@transform(["a.in"], suffix(".in"), 5)\n' + JOB),
    "dict_as_output": Case('@transform(["a.in"], suffix(".in"), {"a": 1})\n' + JOB),
    "int_in_regex_output_list": Case('@transform(["a.in"], regex(r"(.+)"), [r"\\1.out", 5])\n' + JOB),
    "originate_none": Case("@originate(None)\n" + JOB),
    "originate_int": Case("@originate(5)\n" + JOB),
    "originate_dict": Case('@originate({"a": 1})\n' + JOB),
    "merge_int_in_inputs": Case('@merge([1, "a.in"], "x.out")\n' + JOB),
    "merge_none_as_output": Case('@merge(["a.in"], None)\n' + JOB),
    "split_output_int": Case('@split("a.in", 5)\n' + JOB),
    "split_output_none": Case('@split("a.in", None)\n' + JOB),
    "split_output_dict": Case('@split("a.in", {"a": "x"})\n' + JOB),
    "merge_output_regex": Case('@merge(["a.in", "b.in"], regex(r"(.+)\\.in"))\n' + JOB),
    # -- missing filter, wrong number or kind of decorator arguments --------------------
    "transform_without_filter": bad(
        '@transform(["a.in"], ".out")\n' + JOB,
        raises="TypeError",
        when="declare",
        mentions=("def bad_task(...)", "===> filter = '.out'"),
    ),
    "subdivide_without_filter": bad(
        '@subdivide(["a.in"], "x.*", "x.out")\n' + JOB,
        raises="TypeError",
        when="declare",
        mentions=("def bad_task(...)", "===> filter = 'x.*'"),
    ),
    "transform_with_input_only": bad(
        '@transform(["a.in"])\n' + JOB,
        raises="error_missing_args",
        when="declare",
        mentions=("def bad_task(...)", "Missing 'filter' argument", "filter = ???"),
    ),
    "merge_without_output": bad(
        '@merge(["a.in"])\n' + JOB,
        raises="error_missing_args",
        when="declare",
        mentions=("def bad_task(...)", "Missing 'output' argument", "output = ???"),
    ),
    "split_without_arguments": bad(
        "@split()\n" + JOB,
        raises="error_missing_args",
        when="declare",
        mentions=("def bad_task(...)", "Missing 'output' argument"),
    ),
    "originate_without_outputs": bad(
        "@originate()\n" + JOB,
        raises="error_missing_args",
        when="declare",
        mentions=("def bad_task(...)", "@originate(", "output = ???"),
    ),
    "files_with_one_argument": bad(
        '@files("a.in")\n' + JOB,
        raises="error_task_files",
        when="declare",
        mentions=("task = 'bad_task'", "@files(a.in)"),
    ),
    "parallel_without_arguments": bad(
        "@parallel()\n" + JOB,
        raises="error_task_parallel",
        when="declare",
        # Ruffus names the task and the decorator; there is no parameter to name
        mentions=("task = 'bad_task'", "Too few arguments for @parallel"),
    ),
    "unknown_keyword_argument": bad(
        '@transform(["a.in"], suffix(".in"), ".out", bogus=1)\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "===> bogus=1"),
    ),
    "input_given_twice": bad(
        '@transform(["a.in"], suffix(".in"), output=".out", input="b.in")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "===> input='b.in'"),
    ),
    "inputs_with_two_arguments": bad(
        '@transform(["a.in"], suffix(".in"), inputs("a.in", "b.in"), ".out")\n' + JOB,
        raises="error_inputs_multiple_args",
        when="declare",
        mentions=("def bad_task(...)", "===> inputs('a.in', 'b.in')"),
    ),
    "extras_not_a_list": bad(
        '@transform(["a.in"], suffix(".in"), output=".out", extras=5)\n' + JOB,
        raises="error_extras_wrong_type",
        when="declare",
        mentions=("def bad_task(...)", "===> extras=5"),
    ),
    "permutations_size_not_int": bad(
        "from ruffus.combinatorics import permutations\n"
        '@permutations(["a.in", "b.in"], formatter(), "2", "{basename[0][0]}.out")\n' + JOB,
        raises="TypeError",
        when="declare",
        mentions=("def bad_task(...)", "===> tuple_size = '2'"),
    ),
    "jobs_limit_not_a_number": bad(
        '@jobs_limit("x")\n@originate("x.out")\n' + JOB,
        raises="JobsLimitArgumentError",
        when="declare",
        mentions=("def bad_task(...)", "@jobs_limit('x')"),
    ),
    "jobs_limit_redefined": bad(
        '@jobs_limit(2, "lim")\n@originate("x.out")\n' + JOB
        + '@jobs_limit(3, "lim")\n@originate("y.out")\ndef other(*a):\n    ran("other")\n',
        raises="JobsLimitArgumentError",
        when="declare",
        mentions=("def other(...)", "@jobs_limit(3, lim)", "former limit of 2"),
    ),
    "posttask_not_a_function": bad(
        '@posttask(5)\n@originate("x.out")\n' + JOB,
        raises="PostTaskArgumentError",
        when="declare",
        mentions=("def bad_task(...)", "@posttask(5)"),
    ),
    "check_if_uptodate_not_a_function": bad(
        '@check_if_uptodate(5)\n@originate("x.out")\n' + JOB,
        raises="error_decorator_args",
        when="declare",
        mentions=("def bad_task(...)", "@check_if_uptodate((5,))"),
    ),
    "combinatorics_decorator_not_imported": bad(
        # Ruffus 3.0.0's `from ruffus import *` has no product: it lives in ruffus.combinatorics
        '@product(["a.in"], formatter(), ["b.in"], formatter(), "{basename[0][0]}.out")\n' + JOB,
        raises="NameError",
        when="declare",
        mentions=("name 'product' is not defined",),
    ),
    # -- duplicate task names -------------------------------------------------------------
    "duplicate_task_name_in_pipeline": bad(
        "def f1(o):\n    pass\ndef f2(o):\n    pass\n"
        'p = Pipeline("p")\n'
        'p.originate(name="x", task_func=f1, output="1.o")\n'
        'p.originate(name="x", task_func=f2, output="2.o")\n',
        raises="error_duplicate_task_name",
        when="declare",
        # Ruffus names the task and pipeline; the functions are not named
        mentions=("Same task name x specified multiple times", "pipeline (p)"),
    ),
    "duplicate_task_function_in_pipeline": bad(
        "def f1(o):\n    pass\n"
        'p = Pipeline("p")\n'
        'p.transform(name="x", task_func=f1, input="a.in", filter=suffix(".in"), output=".o")\n'
        'p.transform(name="x", task_func=f1, input="b.in", filter=suffix(".in"), output=".o")\n',
        raises="error_decorator_args",
        when="declare",
        mentions=("Duplicate task for", "name = 'p::x', task_func = f1"),
    ),
    "duplicate_pipeline_name": bad(
        'Pipeline("q")\nPipeline("q")\n',
        raises="Exception",
        when="declare",
        mentions=("Duplicate pipeline. A pipeline named 'q' already exists.",),
    ),
    # -- add_inputs and inputs together -----------------------------------------------------
    "add_inputs_and_inputs_as_keywords": bad(
        '@transform(["a.in"], suffix(".in"), add_inputs=add_inputs("b.in"), '
        'replace_inputs=inputs("b.in"), output=".out")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "replace_inputs=('b.in',)", "===> add_inputs=add_inputs('b.in',)"),
    ),
    "add_inputs_then_inputs_positional": Case(
        # Ruffus takes add_inputs() as the modifier, inputs(...) as the output and ".out" as an
        # extra, and runs the job: accepted, not an error
        '@transform(["a.in"], suffix(".in"), add_inputs("b.in"), inputs("b.in"), ".out")\n' + JOB,
    ),
    "inputs_then_add_inputs_positional": Case(
        '@transform(["a.in"], suffix(".in"), inputs("b.in"), add_inputs("b.in"), ".out")\n' + JOB,
    ),
    # -- output_dir where only suffix allows it ---------------------------------------------
    "output_dir_with_regex": bad(
        '@transform(["a.in"], regex(r"(.+)\\.in"), r"\\1.out", output_dir="d")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "filter=regex(", "===> output_dir='d'"),
    ),
    "output_dir_with_formatter": bad(
        '@transform(["a.in"], formatter(), "{basename[0]}.out", output_dir="d")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "filter=formatter()", "===> output_dir='d'"),
    ),
    "output_dir_with_merge": bad(
        '@merge(["a.in"], "x.out", output_dir="d")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "@merge(input=['a.in'], output='x.out'", "===> output_dir='d'"),
    ),
    "output_dir_with_originate": bad(
        '@originate("x.out", output_dir="d")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "===> output_dir='d'"),
    ),
    # -- more malformed inputs and arguments ------------------------------------------------
    "mkdir_over_existing_file": bad(
        '@follows(mkdir("a.in"))\n@originate("x.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("mkdir('a.in')   before bad_task", "a.in already exists but as a file, not a directory"),
    ),
    "mkdir_decorator_over_existing_file": bad(
        '@mkdir("a.in")\n@originate("x.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("mkdir('a.in')   before bad_task", "a.in already exists but as a file, not a directory"),
    ),
    "int_as_input": bad(
        '@transform(5, suffix(".in"), ".out")\n' + JOB,
        raises="RethrownJobError",
        # Python's TypeError is passed through: the task is named, the parameter only by its type
        mentions=("task = 'bad_task'", "object of type 'int' has no len()"),
    ),
    "output_from_int": bad(
        '@transform(output_from(5), suffix(".in"), ".out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "object of type 'int' has no len()"),
    ),
    "follows_none": bad(
        '@follows(None)\n@originate("x.out")\n' + JOB,
        raises="error_decorator_args",
        mentions=("def bad_task(...)", "@follows(None)"),
    ),
    "follows_list_of_names": bad(
        '@follows(["good", "nope"])\n@originate("x.out")\n' + JOB,
        raises="error_decorator_args",
        mentions=("def bad_task(...)", "@follows(['good', 'nope'])"),
    ),
    "collate_add_inputs_backreference_to_missing_group": bad(
        '@collate(["a.in"], regex(r"(.+)\\.in"), add_inputs(r"\\2"), r"\\1.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\2'", "invalid group reference 2"),
    ),
    "collate_inputs_backreference_to_missing_group": bad(
        '@collate(["a.in"], regex(r"(.+)\\.in"), inputs(r"\\2"), r"\\1.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\2'", "invalid group reference 2"),
    ),
    "nested_output_backreference_to_missing_group": bad(
        '@transform(["a.in"], regex(r"(.+)\\.in"), [[r"\\1.out"], [r"\\3"]])\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\3'", "invalid group reference 3"),
    ),
    "files_re_regex_does_not_compile": bad(
        '@files_re("*.in", "(unclosed", r"\\1.out")\n' + JOB,
        raises="error_task_files_re",
        mentions=("task = 'bad_task'", "regex('(unclosed')"),
    ),
    "files_job_without_output": bad(
        '@files([["a.in"]])\n' + JOB,
        raises="error_task_files",
        when="declare",
        mentions=("task = 'bad_task'", "Missing output files for job [a.in]"),
    ),
    "inputs_without_arguments": bad(
        '@transform(["a.in"], suffix(".in"), inputs(), ".out")\n' + JOB,
        raises="error_inputs_multiple_args",
        when="declare",
        mentions=("def bad_task(...)", "===> inputs())"),
    ),
    "name_as_decorator_keyword": bad(
        '@transform(["a.in"], suffix(".in"), ".out", name="x")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "===> name='x'"),
    ),
    "jobs_limit_without_arguments": bad(
        "@jobs_limit()\n@originate(\"x.out\")\n" + JOB,
        raises="TypeError",
        when="declare",
        # Python's own message for the missing argument: the decorator's method, not the task
        mentions=("_decorator_jobs_limit()", "'maximum_jobs_in_parallel'"),
    ),
    "check_if_uptodate_two_functions": bad(
        '@check_if_uptodate(len, len)\n@originate("x.out")\n' + JOB,
        raises="error_decorator_args",
        when="declare",
        mentions=("def bad_task(...)", "@check_if_uptodate((<built-in function len>, <built-in function len>))"),
    ),
    "graphviz_positional_argument": bad(
        '@graphviz(5)\n@originate("x.out")\n' + JOB,
        raises="TypeError",
        when="declare",
        mentions=("Only named arguments expected in :@graphviz(5)", "def bad_task(...)"),
    ),
    "graphviz_two_positional_arguments": bad(
        '@graphviz(5, 6)\n@originate("x.out")\n' + JOB,
        raises="TypeError",
        when="declare",
        # Ruffus' own message template fails on two arguments: neither task nor argument named
        mentions=("not all arguments converted during string formatting",),
    ),
    "graphviz_positional_argument_oo": bad(
        JOB + 'p = Pipeline("p")\np.originate(task_func=bad_task, output="x.out").graphviz(5)\n',
        raises="TypeError",
        when="declare",
        mentions=("Only named arguments expected in :", "task_func = bad_task", ".graphviz(5)"),
    ),
    "two_transform_decorators": bad(
        '@transform(["a.in"], suffix(".in"), ".out")\n@transform(["b.in"], suffix(".in"), ".out")\n' + JOB,
        raises="error_decorator_args",
        when="declare",
        mentions=("Duplicate task for", "def bad_task(...)", "('bad_task', task_transform)"),
    ),
    "originate_and_transform_decorators": bad(
        '@originate("x.out")\n@transform(["b.in"], suffix(".in"), ".out")\n' + JOB,
        raises="error_decorator_args",
        when="declare",
        # (normalised: Ruffus joins the two kinds in set order)
        mentions=("Duplicate task for", "@originate(...)", "def bad_task(...)", "task_originate and task_transform"),
    ),
    "oo_originate_without_output": bad(
        JOB + 'p = Pipeline("p")\np.originate(task_func=bad_task)\n',
        raises="error_missing_args",
        when="declare",
        mentions=("pipeline.originate(name = 'p::bad_task', task_func = bad_task", "output = ???"),
    ),
    "set_output_of_transform": bad(
        '@transform(["a.in"], suffix(".in"), ".out")\n' + JOB
        + 'Pipeline.pipelines["main"]["bad_task"].set_output(output="x")\n',
        raises="error_set_output",
        when="declare",
        # Ruffus names neither the task nor the output here
        mentions=("Can only set output for originate tasks",),
    ),
    "parallel_generator_raises": Case(
        # Ruffus calls the function when declaring, but runs a generator's body only when it makes
        # the jobs: pipeline_run raises, pipeline_printout at verbose 1 makes no @parallel jobs.
        # No good task: Ruffus logs 'Task enters queue' for independent tasks in no fixed order.
        'def params():\n    raise ValueError("no parameters")\n    yield\n@parallel(params)\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "ValueError(no parameters)"),
        printout_raises=False,
    ),
    "files_generator_raises": bad(
        'def params():\n    raise ValueError("no parameters")\n    yield\n@files(params)\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "ValueError(no parameters)"),
    ),
    "files_function_returns_int": bad(
        "def params():\n    return 5\n@files(params)\n" + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "'int' object is not iterable"),
    ),
    "runtime_parameter_missing": bad(
        '@transform(runtime_parameter("nope"), suffix(".in"), ".out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "runtime parameter 'nope' which is missing"),
    ),
    "files_re_combine_backreference_to_missing_group": bad(
        '@files_re("*.in", "(.+)", combine(r"\\2"), "x.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("task = 'bad_task'", "pattern '\\2'", "invalid group reference 2"),
    ),
    "mkdir_backreference_to_missing_group": bad(
        '@mkdir(["a.in"], regex(r"(.+)\\.in"), r"\\2")\n@originate("x.out")\n' + JOB,
        raises="RethrownJobError",
        mentions=("before bad_task", "pattern '\\2'", "invalid group reference 2"),
    ),
    "inactive_task_regex_does_not_compile": bad(
        # @active_if(False) does not spare the declaration from being checked
        '@active_if(False)\n@transform(["a.in"], regex(r"(unclosed"), r"\\1.out")\n' + JOB,
        raises="error_task_transform",
        mentions=("task = 'bad_task'", "regex('(unclosed')"),
    ),
    "combinations_negative_size": bad(
        "from ruffus.combinatorics import combinations\n"
        '@combinations(["a.in", "b.in"], formatter(), -1, "x.out")\n' + JOB,
        raises="RethrownJobError",
        # itertools' own message: the task is named, the size only by its sign
        mentions=("task = 'bad_task'", "r must be non-negative"),
    ),
    "combinations_without_size": bad(
        "from ruffus.combinatorics import combinations\n"
        '@combinations(["a.in"], formatter(), "x.out")\n' + JOB,
        raises="TypeError",
        when="declare",
        mentions=("def bad_task(...)", "===> tuple_size = 'x.out'"),
    ),
    "output_given_twice": bad(
        '@originate("x.out", output="y.out")\n' + JOB,
        raises="error_too_many_args",
        when="declare",
        mentions=("def bad_task(...)", "@originate(output='x.out'", "===> output='y.out'"),
    ),
    # -- the object-oriented interface ----------------------------------------------------------
    "set_input_unknown_keyword": bad(
        '@transform(["a.in"], suffix(".in"), ".out")\n' + JOB
        + 'Pipeline.pipelines["main"]["bad_task"].set_input(bogus=1)\n',
        raises="error_set_input",
        when="declare",
        # Ruffus names neither the task nor the keyword it was given
        mentions=("Missing the input argument in set_input(input=xxx)",),
    ),
    "set_input_positional": bad(
        '@transform(["a.in"], suffix(".in"), ".out")\n' + JOB
        + 'Pipeline.pipelines["main"]["bad_task"].set_input("b.in")\n',
        raises="TypeError",
        when="declare",
        # Python's own message for the call: the method, not the task
        mentions=("set_input() takes 1 positional argument but 2 were given",),
    ),
    "set_output_unknown_keyword": bad(
        '@originate("x.out")\n' + JOB + 'Pipeline.pipelines["main"]["bad_task"].set_output(bogus=1)\n',
        raises="error_set_output",
        when="declare",
        # Ruffus' own text (it says set_input) names neither the task nor the keyword
        mentions=("Missing the output argument in set_input(output=xxx)",),
    ),
    "set_head_tasks_not_a_list": bad(
        'p = Pipeline("p")\np.set_head_tasks(5)\n',
        raises="Exception",
        when="declare",
        mentions=("Pipelines['p'].set_head_tasks() expects a list not <class 'int'>",),
    ),
    "set_head_tasks_list_of_int": bad(
        'p = Pipeline("p")\np.set_head_tasks([5])\n',
        raises="Exception",
        when="declare",
        mentions=("Pipelines['p'].set_head_tasks() expects a list of tasks not <class 'int'> 1",),
    ),
    "set_tail_tasks_not_a_list": bad(
        'p = Pipeline("p")\np.set_tail_tasks(5)\n@transform(output_from(p), suffix(".in"), ".out")\n' + JOB,
        raises="TypeError",
        # len() of the int: neither the pipeline nor the task is named
        mentions=("object of type 'int' has no len()",),
    ),
    "pipeline_without_tail_tasks_as_input": bad(
        'p = Pipeline("p")\n@transform(p, suffix(".in"), ".out")\n' + JOB,
        raises="error_no_tail_tasks",
        # the pipeline is named, not the task whose input it is
        mentions=("Pipeline 'p' has no 'tail' tasks defined.",),
    ),
    "pipeline_without_tail_tasks_in_output_from": bad(
        'p = Pipeline("p")\n@transform(output_from("p"), suffix(".in"), ".out")\n' + JOB,
        raises="error_no_tail_tasks",
        mentions=("Pipeline p has no tail tasks defined.",),
    ),
    "clone_to_existing_pipeline_name": bad(
        'p = Pipeline("p")\np.clone("p")\n',
        raises="Exception",
        when="declare",
        mentions=("Duplicate pipeline. A pipeline named 'p' already exists.",),
    ),
    "oo_task_func_not_callable": bad(
        'p = Pipeline("p")\np.transform(task_func=5, input="a.in", filter=suffix(".in"), output=".o")\n',
        raises="AttributeError",
        when="declare",
        # Python's own message: the offending value by its type only
        mentions=("'int' object has no attribute '__module__'",),
    ),
    "oo_task_name_not_a_string": bad(
        JOB + 'p = Pipeline("p")\n'
        'p.transform(name=5, task_func=bad_task, input="a.in", filter=suffix(".in"), output=".o")\n',
        raises="TypeError",
        when="declare",
        mentions=("can only concatenate str (not \"int\") to str",),
    ),
    # Ruffus accepts these too and runs the job with what it was given:
    "int_in_input_tuple": Case('@transform([("a.in", 5)], suffix(".in"), ".out")\n' + JOB),
    "none_in_nested_input": Case('@transform([["a.in", None]], suffix(".in"), ".out")\n' + JOB),
    "dict_as_merge_input": Case('@merge({"k": "a.in"}, "x.out")\n' + JOB),
    "int_as_split_input": Case('@split(5, "x.out")\n' + JOB),
    "bytes_as_originate_output": Case('@originate(b"x.out")\n' + JOB),
    "int_as_collate_output": Case('@collate(["a.in"], regex(r"(.+)\\.in"), 5)\n' + JOB),
    "none_as_subdivide_output": Case('@subdivide(["a.in"], regex(r"(.+)\\.in"), None)\n' + JOB),
    "empty_suffix": Case('@transform(["a.in"], suffix(""), ".out")\n' + JOB),
    "add_inputs_without_arguments": Case('@transform(["a.in"], suffix(".in"), add_inputs(), ".out")\n' + JOB),
}


# -- running a case -------------------------------------------------------------------------
def snapshot(workdir: Path) -> dict[str, tuple]:
    """Every entry under workdir: files by mtime and contents, directories by name."""
    seen = {}
    for p in sorted(workdir.rglob("*")):
        name = str(p.relative_to(workdir))
        if p.name.startswith(".ruffus_history.sqlite"):
            continue
        if p.is_dir() and not p.is_symlink():
            seen[name] = ("dir",)
        else:
            seen[name] = ("file", p.lstat().st_mtime_ns, p.read_bytes() if p.is_file() else os.readlink(p))
    return seen


def changes(before: dict, after: dict) -> dict[str, object]:
    """What a run did to the directory, independent of when it ran."""
    out = {}
    for name in sorted(set(before) | set(after)):
        if name not in after:
            out[name] = "removed"
        elif before.get(name) != after[name]:
            out[name] = ("added" if name not in before else "modified", after[name][2:])
    return out


def run(impl: str, tmp_path: Path, script: str, mode: str, verbose: int) -> dict:
    """Run ``script`` then ``mode`` under ``impl`` in tmp_path/work, left as tmp_path/impl."""
    work = tmp_path / "work"
    work.mkdir()
    for name, text in INPUTS.items():
        (work / name).write_text(text)
        os.utime(work / name, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    case_file = tmp_path / "case.py"
    case_file.write_text(HEADER + script)
    joblog = tmp_path / (impl + ".jobs")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    before = snapshot(work)
    try:
        done = subprocess.run(
            [sys.executable, "-c", HARNESS, str(case_file), mode, str(verbose), str(joblog)],
            cwd=work, env=env, capture_output=True, text=True, timeout=120,
        )
        after = snapshot(work)
    finally:
        work.rename(tmp_path / impl)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    if result["error"]:
        result["error"][1] = normalise(result["error"][1])
    result["jobs"] = joblog.read_text().splitlines() if joblog.exists() else []
    result["untouched"] = before == after
    result["changes"] = changes(before, after)
    return result


def normalise(message: str) -> str:
    """Drop traceback frames (file paths differ) and order what Ruffus leaves unordered."""
    kept, frames_at = [], None
    for line in message.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.strip() == "Traceback (most recent call last):":
            frames_at = indent
            continue
        if frames_at is not None and (indent > frames_at or not line.strip()):
            continue
        frames_at = None
        kept.append(line)
    text = "\n".join(kept).replace("ruffus_luigi.errors.exceptions.", "ruffus.ruffus_exceptions.")
    # Ruffus collects a cycle's tasks, and a task's two conflicting kinds, in a set of
    # strings: their order changes from run to run
    text = re.sub(
        r"involving one or more of \((.*)\)",
        lambda m: "involving one or more of (%s)" % ", ".join(sorted(m.group(1).split(", "))),
        text,
    )
    return re.sub(
        r"\((.*), (task_\w+) and (task_\w+)\)",
        lambda m: "(%s, %s)" % (m.group(1), " and ".join(sorted(m.group(2, 3)))),
        text,
    )


def warning_text(result: dict) -> str:
    return "\n".join(msg for level, msg in result["log"] if level == "warning")


def all_text(result: dict, mode: str) -> str:
    return result["printout"] if mode == "printout" else "\n".join(msg for _, msg in result["log"])


PARAMS = [
    pytest.param(
        name,
        mode,
        verbose,
        id="%s-%s-v%d" % (name, mode, verbose),
        marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [],
    )
    for name, case in sorted(CASES.items())
    for mode in ("printout", "run")
    for verbose in case.verbose
]


@pytest.mark.parametrize("name, mode, verbose", PARAMS)
def test_bad_declaration_behaves_as_ruffus(tmp_path, name, mode, verbose):
    case = CASES[name]
    reference = run("ruffus", tmp_path, case.script, mode, verbose)
    ours = run("ruffus_luigi", tmp_path, case.script, mode, verbose)

    raises = case.raises if mode == "run" or case.printout_raises else None

    # What Ruffus 3.0.0 itself does with this declaration (checks the case, not ruffus-luigi)
    if raises:
        assert reference["error"] is not None and reference["error"][0] == raises, reference
        assert reference["stage"] == ("declare" if case.when == "declare" else mode)
        for text in case.mentions:
            assert text in reference["error"][1], (text, reference["error"][1])
        assert reference["jobs"] == [] and reference["untouched"], reference
    else:
        assert reference["error"] is None and reference["stage"] == "done", reference
        if mode == "run" and verbose >= 1:
            for text in case.warns:
                assert text in warning_text(reference), (text, reference["log"])
        if verbose >= 5 and (mode == "printout" or case.detail_in_run):
            for text in case.detail:
                assert text in all_text(reference, mode), (text, reference)
        if verbose == 0:
            assert reference["printout"] == "" and warning_text(reference) == ""

    # (1) the same exception type and text, or the same warnings and printout
    assert ours["stage"] == reference["stage"]
    assert ours["error"] == reference["error"]
    assert ours["printout"] == reference["printout"]
    assert ours["log"] == reference["log"]
    assert ours["warnings"] == reference["warnings"]
    # (2) follows from (1) and the mentions checked on Ruffus' message above
    if raises:
        for text in case.mentions:
            assert text in ours["error"][1]
        # (3)/(4) raised before any job ran, from printout and from run: nothing on disk changed
        assert ours["jobs"] == []
        assert ours["untouched"], ours["changes"]
    else:
        # Ruffus accepts the declaration: the same jobs ran and changed the same files
        assert ours["jobs"] == reference["jobs"]
        assert ours["changes"] == reference["changes"]
