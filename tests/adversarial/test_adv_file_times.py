"""Files published by hard link stay up to date, whatever else their task's chunk does.

A hard-linked output has its input's time: Ruffus 3.0.0 calls its job up to date only
because it records the job as it ends, with the wall clock (the file's time is more than
1.1 s old by then only if the job itself took that long). A slow job next to the link in the
same chunk (every job of a task under ``multithread``, or a chunk of a big task) must not
change that: the links' jobs never rerun and the published files keep their contents.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    from ruffus import *

    def log(what):
        with open("ran.log", "a") as f:
            f.write(what + "\\n")

    n = int(sys.argv[1])

    @originate(["s%02d.data" % k for k in range(n)])
    def make(out):
        log(out)
        with open(out, "w") as f:
            f.write("contents of %s\\n" % out)

    @transform(make, suffix(".data"), ".published")
    def publish(i, o):
        log(o)
        if i == "s%02d.data" % (n - 1):  # a real copy of a big file: slow
            time.sleep(1.5)
            with open(o, "w") as f:
                f.write(open(i).read())
            return
        if os.path.lexists(o):
            os.unlink(o)
        os.link(i, o)

    pipeline_run(verbose=0, **json.loads(sys.argv[2]))
    """
)

# (jobs, pipeline_run keywords): every job of a task in one chunk under multithread; a task
# of over 50 jobs cut in chunks of several jobs, the slow one in the last
SHAPES = {
    "multithread, level 1": (4, {"multithread": 4, "checksum_level": 1}),
    "multithread, level 3": (4, {"multithread": 4, "checksum_level": 3}),
    "60 jobs, multiprocess": (60, {"multiprocess": 2}),
}


def run(workdir: Path, jobs: int, keywords: dict) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    (workdir / "pipeline.py").write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, "pipeline.py", str(jobs), json.dumps(keywords)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = workdir / "ran.log"
    ran = sorted(log.read_text().splitlines()) if log.exists() else []
    if log.exists():
        log.unlink()
    return ran


@pytest.mark.held("up to date: file times", "adversarial")
@pytest.mark.timeout(180)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_hard_linked_outputs_next_to_a_slow_job_are_not_rerun(tmp_path: Path, shape: str) -> None:
    jobs, keywords = SHAPES[shape]
    names = ["s%02d" % k for k in range(jobs)]
    first = run(tmp_path, jobs, keywords)
    assert first == sorted([n + ".data" for n in names] + [n + ".published" for n in names])
    for n in names[:-1]:
        assert os.path.samefile(tmp_path / (n + ".data"), tmp_path / (n + ".published"))
    assert run(tmp_path, jobs, keywords) == [], "the second run reran jobs Ruffus finds up to date"
    assert run(tmp_path, jobs, keywords) == [], "the third run reran jobs Ruffus finds up to date"
    for n in names:
        assert (tmp_path / (n + ".published")).read_text() == "contents of %s.data\n" % n
