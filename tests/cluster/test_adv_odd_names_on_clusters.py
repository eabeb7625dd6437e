"""Odd file names and an odd working directory on Grid Engine (drmaa) and Slurm.

The names of tests/adversarial/test_adv_odd_names.py (newline, quotes, shell
metacharacters, ``%`` and ``{}``, bytes that are not UTF-8, 255 bytes) go through the cluster
back ends' job scripts, in a working directory whose own name holds a space, ``%j`` (a
Slurm output-file pattern), a byte that is not UTF-8 and ``$(touch pwned)``: every job runs,
its logs are where ruffus-luigi reads them, the rerun runs nothing and no command is ever
interpreted from a name.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adversarial"))

from test_adv_odd_names import ALL_JOBS, assert_no_command_ran, files, prepare, run  # noqa: E402

BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
REPO = Path(__file__).resolve().parents[2]
# this checkout's plugins, before any installed elsewhere (the same ones in CI's .venv)
PYTHONPATH = os.pathsep.join(str(p) for p in [REPO, *sorted((REPO / "plugins").glob("ruffus-luigi-*"))])


WORKDIR = {"slurm": b"/wd 100%j \xff $(touch pwned)", "sge": b"/wd 100%j \\ touch pwned"}


@pytest.mark.timeout(600)
@pytest.mark.held("odd file names", "bad input")
def test_odd_names_in_an_odd_working_directory_on_a_cluster(cluster, tmp_path):
    workdir = Path(os.fsdecode(os.fsencode(tmp_path) + WORKDIR[cluster.name]))
    prepare(workdir)
    extra = {**cluster.vars, "PATH": os.pathsep.join([*cluster.path, os.environ["PATH"]]),
             "PYTHONPATH": PYTHONPATH, "RUFFUS_LUIGI_BACKEND": BACKENDS[cluster.name], "RUFFUS_LUIGI_CHECKPOINT": "atomic"}
    rc, out, ran = run("ruffus_luigi", workdir, extra, timeout=500)
    assert rc == 0, out
    assert ran == ALL_JOBS, out
    assert len(files(workdir)) == len(ALL_JOBS)  # one file per job
    rc, out, ran = run("ruffus_luigi", workdir, extra, timeout=300)
    assert rc == 0 and ran == Counter(), out
    assert_no_command_ran(tmp_path)
    assert not list(Path(tmp_path).glob("wd 100[0-9]*")), "Slurm expanded %j in a log's path"
