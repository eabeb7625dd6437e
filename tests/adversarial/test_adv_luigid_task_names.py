"""Ruffus task names luigid's visualiser would mangle, or that become the same Luigi family,
still run every job once through luigid, and luigid shows each task apart, readably.

Task names come from the script (``Pipeline.transform(name=...)``): quotes and ``&``
(which the visualiser's graph shows as HTML entities), markup, a name only a quote away
from another one, a very long name. Luigi rebuilds each task a stage yields from its family
and parameters, so two classes with one family would make the run fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

NAMES = ["it's", "its", "<b>bold</b> & co", "x" * 70]

PIPELINE = '''\
import os
from ruffus import *


def log(what):
    fd = os.open("jobs.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, (what + "\\n").encode())
    os.close(fd)


def make(o):
    log("make " + o)
    open(o, "w").write(o)


def copy(i, o):
    log("copy " + o)
    open(o, "w").write(open(i).read())


p = Pipeline("names")
NAMES = %r
for n, name in enumerate(NAMES):
    start = p.originate(task_func=make, output=["t%%d_%%d.start" %% (n, i) for i in range(3)], name="start " + name)
    p.transform(task_func=copy, input=start, filter=suffix(".start"), output=".copy", name=name)

if __name__ == "__main__":
    p.run(multiprocess=2)
'''


@pytest.mark.timeout(180)
@pytest.mark.held("luigid view: names", "bad input")
def test_task_names_the_visualiser_would_mangle_or_merge_run_every_job_once(luigid, tmp_path):
    (tmp_path / "names.py").write_text(PIPELINE % (NAMES,))
    env = dict(os.environ, RUFFUS_LUIGI_SCHEDULER_URL=luigid.url, PYTHONPATH=str(REPO))
    run = subprocess.run([sys.executable, "-m", "ruffus_luigi", "run", "names.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = (tmp_path / "jobs.log").read_text().splitlines()
    expected = ["make t%d_%d.start" % (n, i) for n in range(len(NAMES)) for i in range(3)]
    expected += ["copy t%d_%d.copy" % (n, i) for n in range(len(NAMES)) for i in range(3)]
    assert sorted(lines) == sorted(expected)
    listed = luigid.api("task_list", {"status": "DONE", "upstream_status": "", "search": str(tmp_path)})
    stages = {t["name"] for t in listed.values() if t["params"]["jobs"] == "all"}
    assert len(stages) == 2 * len(NAMES), sorted(stages)  # each Ruffus task its own family
    for family in stages:
        assert not re.search(r"[<>&'\"]", family) and len(family) <= 40, family
    assert {"names::its", "names::its #2"} <= stages, sorted(stages)
