"""Malformed declarations: the same error (type and message) as Ruffus 3.0.0, before any job runs.

Each case runs under real Ruffus and under ruffus-luigi, each in its own
subprocess and fresh directory holding two input files; the error raised by
declaring, printing or running the pipeline is compared (tracebacks aside), and
the directory must be left exactly as it was. Where Ruffus only warns (or lets the
job run), ruffus-luigi must too: the verbose-4 printout, with its warnings, is compared.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

HARNESS = textwrap.dedent('''
    import io, json, os, sys
    before = {n: os.stat(n).st_mtime_ns for n in os.listdir(".")}
    printout = None
    try:
        exec(compile(open("case.py").read(), "case.py", "exec"), {"__name__": "case"})
        import ruffus
        text = io.StringIO()
        ruffus.pipeline_printout(text, verbose=4)
        printout = text.getvalue()
        ruffus.pipeline_run(verbose=0)
        error = None
    except BaseException as e:
        error = [type(e).__name__, str(e)]
    after = {n: os.stat(n).st_mtime_ns for n in os.listdir(".") if not n.startswith(".ruffus_history")}
    print(json.dumps({"error": error, "printout": printout, "untouched": after == {k: v for k, v in before.items() if k in after} and set(after) <= set(before) | {"case.py"}}))
''')

PRE = "from ruffus import *\n"

CASES = {
    "regex_does_not_compile": '@transform(["a.in"], regex(r"(unclosed"), r"\\1.out")\ndef f(i, o): pass\n',
    "backreference_to_missing_group": '@transform(["a.in"], regex(r"(.+)\\.in"), r"\\2.out")\ndef f(i, o): pass\n',
    "formatter_unknown_named_group": '@transform(["a.in"], formatter(r"(?P<x>.+)\\.in"), "{y[0]}.out")\ndef f(i, o): pass\n',
    "formatter_input_index_out_of_range": '@transform(["a.in"], formatter(), "{basename[3]}.out")\ndef f(i, o): pass\n',
    "formatter_unknown_key": '@transform(["a.in"], formatter(), "{nokey}.out")\ndef f(i, o): pass\n',
    "collate_regex_does_not_compile": '@collate(["a.in", "b.in"], regex(r"[bad"), "x.out")\ndef f(i, o): pass\n',
    "output_from_unknown_task": '@merge(output_from("no_such_task"), "x.out")\ndef f(i, o): pass\n',
    "undecorated_function_as_input": 'def plain(): pass\n@transform(plain, suffix(".in"), ".out")\ndef f(i, o): pass\n',
    "circular_dependency": '@follows("b")\n@originate("a.o")\ndef a(o): pass\n@follows(a)\n@originate("b.o")\ndef b(o): pass\n',
    "integer_as_input_path": '@transform([1, 2], suffix(".in"), ".out")\ndef f(i, o): pass\n',
    "none_as_output": '@transform(["a.in"], suffix(".in"), None)\ndef f(i, o): pass\n',
    "transform_without_filter": '@transform(["a.in"], ".out")\ndef f(i, o): pass\n',
    "originate_without_output": '@originate()\ndef f(o): pass\n',
    "split_output_not_a_string": '@split("a.in", 5)\ndef f(i, o): pass\n',
    "duplicate_task_names": 'def f(i, o): pass\np = Pipeline("p")\np.transform(name="x", task_func=f, input="a.in", filter=suffix(".in"), output=".o")\np.transform(name="x", task_func=f, input="b.in", filter=suffix(".in"), output=".o")\n',
    "add_inputs_and_inputs_together": '@transform(["a.in"], suffix(".in"), add_inputs("b.in"), inputs("b.in"), ".out")\ndef f(i, o): pass\n',
    "output_dir_with_regex": '@transform(["a.in"], regex(r"(.+)\\.in"), r"\\1.out", output_dir="d")\ndef f(i, o): pass\n',
    "mkdir_target_is_a_file": '@follows(mkdir("a.in"))\n@originate("x.o")\ndef f(o): pass\n',
}


def run(impl: str, workdir: Path, case: str) -> dict:
    workdir.mkdir()
    for name in ("a.in", "b.in"):
        (workdir / name).write_text(name)
    (workdir / "case.py").write_text(PRE + case)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    done = subprocess.run([sys.executable, "-c", HARNESS], cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    if result["error"]:
        result["error"][1] = strip_traceback(result["error"][1])
    return result


def strip_traceback(message: str) -> str:
    kept, skipping = [], None
    for line in message.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.strip() == "Traceback (most recent call last):":
            skipping = indent
        elif skipping is not None and (indent > skipping or not line.strip()):
            continue
        elif skipping is not None:
            skipping = None
        else:
            kept.append(line)
    text = "\n".join(kept).replace("ruffus_luigi.exceptions.", "ruffus.ruffus_exceptions.")
    # Ruffus walks the graph from a set of tasks: the cycle's members come in any order
    return re.sub(r"involving one or more of \((.*)\)", lambda m: "involving one or more of (%s)" % ", ".join(sorted(m.group(1).split(", "))), text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_declaration_fails_as_ruffus_does_and_touches_nothing(tmp_path, name):
    reference = run("ruffus", tmp_path / "ruffus", CASES[name])
    ours = run("ruffus_luigi", tmp_path / "ours", CASES[name])
    assert ours["error"] == reference["error"]
    assert ours["printout"] == reference["printout"]
    if reference["error"] is not None:
        assert ours["untouched"], "a failed declaration changed files"
