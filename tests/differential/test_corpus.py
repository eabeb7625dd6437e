"""Differential corpus: each case under real Ruffus 3.0.0 and under ruffus-luigi, compared.

Cases are the hand-written scripts in ``corpus/`` and random pipelines from
``generate.py`` (seed = case number, so a failure is reproduced with
``python tests/differential/generate.py SEED``). Each implementation runs the
case in its own subprocess, one after the other in the same absolute directory,
so paths in printouts match. Compared: printouts at verbose 1, 3 and 5, the
jobs run (task, inputs, outputs, extras), every file and its content, the jobs of
a second run, and any error's type and message.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HAND_WRITTEN = sorted(p.name for p in (HERE / "corpus").glob("*.py") if not p.name.startswith("_"))
SEEDS = range(120)
TWO_WORKERS = set(range(0, 120, 6))


def run_case(impl: str, work: Path, script: str, mp: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    paths = [str(HERE / "corpus")]
    if impl == "ruffus_luigi":
        paths[:0] = [str(REPO / "ruffus_luigi" / "shim"), str(REPO)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    done = subprocess.run(
        [sys.executable, str(HERE / "driver.py"), script, str(mp)],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, "%s driver crashed:\n%s" % (impl, done.stderr[-3000:])
    return json.loads(done.stdout)


def task_blocks(printout: str) -> list[str]:
    """A printout's per-task blocks, sorted.

    Ruffus 3.0.0 starts its depth-first walk from ``list(set(target_tasks))``: the
    order of independent branches follows object addresses, so only the blocks (and
    each block's content) are comparable, not their order.
    """
    separators = len(re.findall(r"(?m)^_{40}$", printout))
    blocks = re.split(r"(?m)^(?=\s*Task = )", re.sub(r"(?m)^_{40}\n", "", printout))
    return ["%d separators" % separators, blocks[0]] + sorted(b.rstrip() for b in blocks[1:])


def normalise(doc: dict) -> dict:
    """Tracebacks name each implementation's own files: keep the error's type and message."""
    for field in ("printout1", "printout3", "printout5"):
        if field in doc:
            doc[field] = task_blocks(doc[field])
    if "error" in doc:
        kept, skipping = [], None
        for line in doc["error"].splitlines():
            indent = len(line) - len(line.lstrip())
            if line.strip() == "Traceback (most recent call last):":
                skipping = indent
            elif skipping is not None and (indent > skipping or not line.strip()):
                continue
            elif skipping is not None:
                skipping = None  # the exception line closing the traceback: the header has it
            else:
                kept.append(line)
        doc["error"] = "\n".join(kept)
    return doc


def both(tmp_path: Path, source: str, mp: int) -> tuple[dict, dict]:
    work = tmp_path / "work"
    docs = []
    for impl in ("ruffus", "ruffus_luigi"):
        work.mkdir()
        (work / "case.py").write_text(source)
        docs.append(normalise(run_case(impl, work, "case.py", mp)))
        work.rename(tmp_path / impl)
    return docs[0], docs[1]


def assert_same(reference: dict, ours: dict) -> None:
    assert sorted(ours) == sorted(reference)
    for field in sorted(reference):
        assert ours[field] == reference[field], field


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_pipeline(tmp_path, seed):
    sys.path.insert(0, str(HERE))
    from generate import generate

    source = generate(seed)
    reference, ours = both(tmp_path, source, 2 if seed in TWO_WORKERS else 1)
    assert_same(reference, ours)


@pytest.mark.parametrize("case", HAND_WRITTEN)
def test_hand_written_case(tmp_path, case):
    source = (HERE / "corpus" / case).read_text()
    reference, ours = both(tmp_path, source, 1)
    assert_same(reference, ours)


def test_corpus_is_large_enough():
    assert len(SEEDS) + len(HAND_WRITTEN) >= 150
