"""A run interrupted by Ctrl-C leaves no stage of its own PENDING in luigid: the one running is
FAILED saying it was interrupted, those after it FAILED saying which one they waited for.

Before, Luigi left them all as they were: the stage PENDING (until luigid pruned it, ten
minutes later) and the visualiser showed a run still waiting to go on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PIPELINE = '''\
import os
import time

from ruffus import *


@originate(["f%d.start" % i for i in range(4)])
def make(o):
    open(o, "w").write(o)


@transform(make, suffix(".start"), ".mid")
def slow(i, o):
    for _ in range(1200):  # (bounded: 60 s) until the test interrupts the run
        time.sleep(0.05)
    open(o, "w").write(i)


@merge(slow, "all.txt")
def total(i, o):
    open(o, "w").write("".join(i))


if __name__ == "__main__":
    pipeline_run(multiprocess=2)
'''


@pytest.mark.timeout(180)
@pytest.mark.held("luigid view: final states", "adversarial")
def test_an_interrupted_runs_stages_are_not_left_pending(luigid, tmp_path):
    (tmp_path / "slow_pipeline.py").write_text(PIPELINE)
    env = dict(os.environ, RUFFUS_LUIGI_SCHEDULER_URL=luigid.url, PYTHONPATH=str(REPO))
    run = subprocess.Popen([sys.executable, "-m", "ruffus_luigi", "run", "slow_pipeline.py"], cwd=tmp_path, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    search = {"upstream_status": "", "search": "pipeline=slow_pipeline.py workdir=%s" % tmp_path}
    try:
        for _ in range(600):  # both workers in a slow job
            if len(luigid.api("task_list", {"status": "RUNNING", **search})) >= 2 or run.poll() is not None:
                break
            time.sleep(0.1)
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C at a terminal
        _out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == -signal.SIGINT, err  # (killed by SIGINT, as an interrupted program ends)
    stages = {}
    for status in ("PENDING", "RUNNING", "DONE", "FAILED"):
        for task_id, t in luigid.api("task_list", {**search, "status": status}).items():
            if t["params"]["jobs"] == "all":
                stages[t["name"]] = (status, task_id)
    # (make's jobs are done; its stage may still wait for a free worker to finish it: then it is FAILED too)
    assert stages["make"][0] in ("DONE", "FAILED") and stages["slow"][0] == "FAILED", stages
    assert stages["total"][0] == "FAILED", stages

    def error(name: str) -> str:
        return json.loads(luigid.api("fetch_error", {"task_id": stages[name][1]})["error"])

    assert error("slow") == "Ruffus task 'slow' did not finish: the run was interrupted; run it again to do what is left\n"
    assert error("total") == "Ruffus task 'total' did not finish: Ruffus task 'slow' did not finish\n"
