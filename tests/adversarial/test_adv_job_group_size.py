"""A bad ``job_group_size`` (the most jobs one cluster job runs) stops a cluster run before any
job, with one line naming the task and the setting; it is not read on the local back end.

Run on the plugin ``example`` back end (background processes, no cluster needed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join(
    [str(REPO / "ruffus_luigi" / "shim"), str(REPO), *map(str, sorted((REPO / "plugins").glob("ruffus-luigi-*")))]
)
SCRIPT = textwrap.dedent(
    """
    from ruffus import originate, pipeline_run

    @originate(["a.txt", "b.txt"])
    def make(out):
        open(out, "w").write(out)

    if __name__ == "__main__":
        pipeline_run(multiprocess=2, verbose=0)
    """
)


def run(workdir: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env.update(PYTHONPATH=PYTHONPATH, **extra)
    return subprocess.run([sys.executable, "pipeline.py"], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.timeout(300)
@pytest.mark.held("grouped cluster jobs", "bad input")
@pytest.mark.parametrize(
    "where, value, message",
    [
        ("env", "many", "job_group_size must be a whole number of jobs, not 'many'"),
        ("task", "0", "job_group_size must be 1 (no grouping) or more, not 0"),
    ],
)
def test_bad_job_group_size_stops_a_cluster_run_before_any_job(tmp_path, where, value, message):
    (tmp_path / "pipeline.py").write_text(SCRIPT)
    extra = {"RUFFUS_LUIGI_BACKEND": "example"}
    if where == "env":
        extra["RUFFUS_LUIGI_JOB_GROUP_SIZE"] = value
    else:
        (tmp_path / "luigi.cfg").write_text("[ruffus_luigi.task.make]\njob_group_size = %s\n" % value)
    done = run(tmp_path, **extra)
    assert done.returncode != 0
    assert "ValueError: Ruffus task 'make': " + message in done.stderr, done.stderr
    assert not list(tmp_path.glob("*.txt")), "no job may run"
    local = run(tmp_path, **{k: v for k, v in extra.items() if k != "RUFFUS_LUIGI_BACKEND"})
    assert local.returncode == 0, local.stderr  # the local back end groups nothing: it does not read it
    assert sorted(p.name for p in tmp_path.glob("*.txt")) == ["a.txt", "b.txt"]
