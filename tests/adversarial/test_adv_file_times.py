"""Files published by hard link stay up to date, whatever else their task's chunk does.

A hard-linked output has its input's time: Ruffus 3.0.0 calls its job up to date only
because it records the job as it ends, with the wall clock (the file's time is more than
1.1 s old by then only if the job itself took that long). A slow job next to the link in the
same chunk (every job of a task under ``multithread``, jobs sent to a back end, or a chunk
of a big task) must not change that: the links' jobs never rerun, on the local back end and
through the dispatcher alike, and the published files keep their contents.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from ruffus import *
    from ruffus_luigi import plugins
    from ruffus_luigi.hookspecs import hookimpl
    from ruffus_luigi.backends.local import LocalBackend

    class Procs:  # the local back end under another name: jobs go the dispatcher's way
        @hookimpl
        def ruffus_luigi_register_backends(self):
            return {"procs": lambda **options: LocalBackend()}

    plugins.register(Procs(), "procs-file-times")

    def log(what):
        with open("ran.log", "a") as f:
            f.write(what + "\\n")

    @originate(["s1.data", "s2.data", "s3.data", "big.data"])
    def make(out):
        log(out)
        with open(out, "w") as f:
            f.write("contents of %s\\n" % out)

    @transform(make, suffix(".data"), ".published")
    def publish(i, o):
        log(o)
        if i == "big.data":  # a real copy of a big file: slow
            time.sleep(1.5)
            with open(o, "w") as f:
                f.write(open(i).read())
            return
        if os.path.lexists(o):
            os.unlink(o)
        os.link(i, o)

    pipeline_run(verbose=0, multithread=4, checksum_level=int(sys.argv[1]))
    """
)


def run(workdir: Path, backend: str, level: int) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    env["RUFFUS_LUIGI_BACKEND"] = backend
    (workdir / "pipeline.py").write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, "pipeline.py", str(level)], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = workdir / "ran.log"
    ran = sorted(log.read_text().splitlines()) if log.exists() else []
    if log.exists():
        log.unlink()
    return ran


@pytest.mark.held("up to date: file times", "adversarial")
@pytest.mark.timeout(180)
@pytest.mark.parametrize("level", [1, 3])
@pytest.mark.parametrize("backend", ["local", "procs"])
def test_hard_linked_outputs_next_to_a_slow_job_are_not_rerun(tmp_path: Path, backend: str, level: int) -> None:
    first = run(tmp_path, backend, level)
    assert first == sorted(["s1.data", "s2.data", "s3.data", "big.data", "s1.published", "s2.published",
                            "s3.published", "big.published"])
    for n in (1, 2, 3):
        assert os.path.samefile(tmp_path / ("s%d.data" % n), tmp_path / ("s%d.published" % n))
    assert run(tmp_path, backend, level) == [], "the second run reran jobs Ruffus finds up to date"
    assert run(tmp_path, backend, level) == [], "the third run reran jobs Ruffus finds up to date"
    for n in (1, 2, 3):
        assert (tmp_path / ("s%d.published" % n)).read_text() == "contents of s%d.data\n" % n
    assert (tmp_path / "big.published").read_text() == "contents of big.data\n"
