"""Differential corpus: each case under real Ruffus 3.0.0 and under ruffus-luigi, compared.

Cases are the hand-written scripts in ``corpus/`` (every one with one process, a subset
also with ``multiprocess=2``) and random pipelines from ``generate.py`` (seed = case
number, so a failure is reproduced with ``python tests/differential/generate.py SEED``).
Each implementation runs ``driver.py`` in a fresh subprocess, one after the other in the
same absolute directory (made, used by Ruffus, moved away, made again for ruffus-luigi),
so absolute paths in printouts match. The JSON documents are compared field by field:
printouts at verbose 1, 3 and 5 (abbreviated and full paths), the dot flowchart,
printouts at verbose 3 and 6 after the first run, the jobs
run (task, inputs, outputs, extras), every file and its content, the jobs of a second run,
and any error's type and message.

Normalisations, each for something Ruffus 3.0.0 itself derives from Python ``set``
iteration (object addresses), not from the pipeline:

- Ruffus walks the graph depth first from ``list(set(target_tasks))``: the order in which
  it lists (and, with one process, runs) independent branches follows object addresses.
  Printout task blocks and the tasks of the job lists are therefore compared as sorted
  lists, *and* ruffus-luigi's order must respect every dependency edge of Ruffus' own
  flowchart (so a child listed or run before its parent still fails).
- Ruffus keeps a task's "Input substitution failed" warnings in a set of strings (hash
  randomisation): each run of consecutive warnings in a printout is compared sorted.
- The flowchart numbers its nodes in that same walk order: node ids are replaced by the
  nodes' labels and the lines sorted.

Object addresses (``<function f at 0x7f...>`` in the names Ruffus gives some mkdir tasks)
differ from one process to the next, in Ruffus too, and are masked everywhere.

Error messages keep their type and text; the tracebacks some of them embed (a failed job's)
name each implementation's own source files and are dropped.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = HERE / "corpus"
HAND_WRITTEN = sorted(p.name for p in CORPUS.glob("*.py") if not p.name.startswith("_"))
SEEDS = range(120)
TWO_WORKERS = set(range(0, 120, 6))

# hand-written cases also run with multiprocess=2
TWO_PROCESSES = {
    "active_if.py",
    "collate_add_inputs.py",
    "files_generator.py",
    "jobs_limit_graphviz.py",
    "merge_of_merges.py",
    "mkdir_decorator.py",
    "oo_pipeline.py",
    "parallel.py",
    "posttask_touch.py",
    "product_three.py",
    "split_glob_existing.py",
    "subdivide_then_collate.py",
    "subpipelines_clone.py",
    "collate_formatter.py",
    "files_re_extras_output_from.py",
    "job_raises.py",
    "jobs_limit_many.py",
    "many_jobs_chunked.py",
    "mkdir_oo.py",
    "oo_subpipeline_targets.py",
    "oo_task_methods.py",
    "posttask_function.py",
    "product_two_extras.py",
    "split_glob_subdir.py",
    "split_then_subdivide.py",
    "touch_files_only.py",
}

# case -> why ruffus-luigi differs (a bug in a module this corpus may not change)
XFAIL: dict[str, str] = {}
# STRICT_ORDER=1: also report differences in the order of independent tasks (to see them)
STRICT_ORDER = os.environ.get("STRICT_ORDER")


def run_case(impl: str, work: Path, script: str, mp: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DEFAULT_RUFFUS_HISTORY_FILE")}
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    done = subprocess.run(
        [sys.executable, str(HERE / "driver.py"), script, str(mp)],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, "%s driver crashed:\n%s" % (impl, done.stderr[-3000:])
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise AssertionError("%s driver printed no JSON:\n%s\n%s" % (impl, done.stdout, done.stderr[-3000:])) from None


def both(tmp_path: Path, name: str, source: str, mp: int) -> tuple[dict, dict]:
    """Ruffus' then ruffus-luigi's document, each run in the same absolute directory."""
    work = tmp_path / "work"
    docs = []
    for impl in ("ruffus", "ruffus_luigi"):
        work.mkdir()
        (work / name).write_text(source)
        docs.append(run_case(impl, work, name, mp))
        work.rename(tmp_path / impl)
    return docs[0], docs[1]


# ---------------------------------------------------------------- normalisation


def without_tracebacks(error: str) -> str:
    """An error's text without the tracebacks embedded in it (they name source files).

    A traceback runs from its ``Traceback (most recent call last):`` line through every
    following line indented as much or more (its frames, the exception line closing it and
    that exception's message, chained tracebacks), up to a line indented less or the next
    ``Exception #N`` of a ``RethrownJobError``. The exception's type and message are also
    in the text before the traceback.
    """
    kept, skipping = [], None
    for line in error.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.strip() == "Traceback (most recent call last):":
            if skipping is None or indent < skipping:
                skipping = indent
            continue
        if skipping is not None:
            if not line.strip() or indent > skipping or (indent == skipping and not re.fullmatch(r"Exception #\d+", line.strip())):
                continue
            skipping = None
        kept.append(line)
    return "\n".join(kept)


ADDRESS = re.compile(r"\bat 0x[0-9a-f]+")
WARNING = "Job Warning: Input substitution failed:"


def without_addresses(value):
    """``value`` with object addresses (``<function f at 0x7f...>``) masked, recursively."""
    if isinstance(value, str):
        return ADDRESS.sub("at 0x?", value)
    if isinstance(value, list):
        return [without_addresses(v) for v in value]
    if isinstance(value, dict):
        return {k: without_addresses(v) for k, v in value.items()}
    return value


def sorted_match_warnings(printout: str) -> str:
    """The printout with each run of consecutive substitution warnings sorted."""
    lines, out, i = printout.split("\n"), [], 0
    while i < len(lines):
        groups = []
        while i < len(lines) and lines[i].strip() == WARNING:
            indent = len(lines[i]) - len(lines[i].lstrip())
            j = i + 1
            while j < len(lines) and lines[j].strip() != WARNING and len(lines[j]) - len(lines[j].lstrip()) > indent:
                j += 1
            groups.append(lines[i:j])
            i = j
        if groups:
            out += [line for group in sorted(groups) for line in group]
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


def graph_lines(dot: str) -> list[str]:
    """The dot text with node ids replaced by their labels, lines sorted."""
    labels = dict(re.findall(r'(?m)^(\w+)\[.*?\blabel="((?:[^"\\]|\\.)*)"', dot))
    node = re.compile(r"^\w+(?=\[| ->)|(?<=-> )\w+(?=\[)")
    return sorted(node.sub(lambda m: labels.get(m.group(0), m.group(0)), line) for line in dot.splitlines())


def graph_edges(dot: str) -> set[tuple[str, str]]:
    """(parent label, child label) for every edge between task nodes of a flowchart."""
    labels = dict(re.findall(r'(?m)^(t\d+)\[.*?\blabel="((?:[^"\\]|\\.)*)"', dot))
    return {(labels[a], labels[b]) for a, b in re.findall(r"(?m)^(t\d+) -> (t\d+)\[", dot) if a in labels and b in labels}


def printout_name(task: str) -> str:
    """A printout's task name as the flowchart labels it: ``'pipe::mod.f'`` -> ``mod.f``."""
    return task.strip().strip("'").split("::")[-1]


def job_name(label: str) -> str:
    """A flowchart label as a job body records it: ``mod.f`` -> ``f``."""
    return label.split(".")[-1]


def respects(order: list[str], edges: set[tuple[str, str]]) -> str | None:
    """Why ``order`` lists a task before one of its ancestors, or None.

    Names repeated in ``order`` or in ``edges`` (cloned pipelines) count where first seen.
    """
    first: dict[str, int] = {}
    for i, task in enumerate(order):
        first.setdefault(task, i)
    parents: dict[str, set[str]] = {}
    for parent, child in edges:
        if parent != child:
            parents.setdefault(child, set()).add(parent)
    for child in sorted(first):
        seen, todo = set(), list(parents.get(child, ()))
        while todo:
            ancestor = todo.pop()
            if ancestor in seen:
                continue
            seen.add(ancestor)
            todo.extend(parents.get(ancestor, ()))
            if ancestor != child and ancestor in first and first[child] < first[ancestor]:
                return "%s listed before its ancestor %s" % (child, ancestor)
    return None


def printout_blocks(printout: str) -> tuple[list[str], list[str]]:
    """The task names in order, and the printout cut into its sorted blocks."""
    separators = len(re.findall(r"(?m)^_{40}$", printout))
    names = re.findall(r"(?m)^\s*Task = (.*)$", printout)
    cut = ["%d separators" % separators]
    # Sections ("Tasks which are up-to-date:", "Tasks which will be run:") keep their order;
    # the task blocks inside one are sorted.
    for section in re.split(r"(?m)^(?=Tasks which )", re.sub(r"(?m)^_{40}\n", "", printout)):
        blocks = re.split(r"(?m)^(?=\s*Task = )", section)
        cut += [blocks[0].rstrip()] + sorted(b.rstrip() for b in blocks[1:])
    return names, cut


def diff(reference, ours) -> str:
    as_lines = lambda v: (v if isinstance(v, str) else json.dumps(v, indent=1, ensure_ascii=False)).splitlines()  # noqa: E731
    return "\n".join(difflib.unified_diff(as_lines(reference), as_lines(ours), "ruffus", "ruffus_luigi", lineterm=""))


def compare(reference: dict, ours: dict) -> list[str]:
    """Every difference between the two documents, as readable diffs."""
    problems = []
    reference, ours = without_addresses(reference), without_addresses(ours)
    if sorted(ours) != sorted(reference):
        problems.append("fields: ruffus %s, ruffus_luigi %s" % (sorted(reference), sorted(ours)))
    edges = graph_edges(reference.get("graph", ""))
    job_edges = {(job_name(a), job_name(b)) for a, b in edges}
    for field in sorted(set(reference) & set(ours)):
        ref, our = reference[field], ours[field]
        if field in ("printout", "printout_after_run"):
            for key in sorted(set(ref) | set(our)):
                r, o = sorted_match_warnings(ref.get(key, "")), sorted_match_warnings(our.get(key, ""))
                if r == o:
                    continue
                r_blocks, (o_names, o_blocks) = printout_blocks(r)[1], printout_blocks(o)
                order = respects([printout_name(t) for t in o_names], edges)
                if r_blocks != o_blocks or order or STRICT_ORDER:
                    problems.append("%s %s: %s\n%s" % (field, key, order or "", diff(r, o)))
            continue
        if field == "graph":
            ref, our = graph_lines(ref), graph_lines(our)
        elif field in ("jobs", "rerun_jobs"):
            order = respects([task for task, _ in our], job_edges)
            if order or STRICT_ORDER and ref != our:
                problems.append("%s: %s" % (field, order))
            ref, our = sorted(ref), sorted(our)
        elif field == "error":
            ref, our = without_tracebacks(ref), without_tracebacks(our)
        if ref != our:
            problems.append("%s:\n%s" % (field, diff(ref, our)))
    return problems


def assert_same(reference: dict, ours: dict) -> None:
    problems = compare(reference, ours)
    assert not problems, "\n\n".join(problems)


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_pipeline(tmp_path, seed):
    sys.path.insert(0, str(HERE))
    from generate import generate

    source = generate(seed)
    reference, ours = both(tmp_path, "case.py", source, 2 if seed in TWO_WORKERS else 1)
    assert_same(reference, ours)


def _hand_written():
    for case in HAND_WRITTEN:
        for mp in (1, 2) if case in TWO_PROCESSES else (1,):
            marks = [pytest.mark.xfail(strict=True, reason=XFAIL[case])] if case in XFAIL else []
            yield pytest.param(case, mp, marks=marks, id="%s-mp%d" % (case[:-3], mp))


@pytest.mark.parametrize("case, mp", list(_hand_written()))
def test_hand_written_case(tmp_path, case, mp):
    reference, ours = both(tmp_path, case, (CORPUS / case).read_text(), mp)
    assert_same(reference, ours)


def test_corpus_is_large_enough():
    assert len(HAND_WRITTEN) >= 70
    assert TWO_PROCESSES <= set(HAND_WRITTEN)
    assert set(XFAIL) <= set(HAND_WRITTEN)
