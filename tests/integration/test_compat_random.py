"""The script's global ``random`` generator: its jobs draw what they draw under Ruffus 3.0.0.

Under Ruffus, ``multiprocess=1`` runs the jobs one after another in the calling process:
after ``random.seed(42)`` they continue one stream, and the script's draw after
``pipeline_run`` continues it too. With ``multiprocess=N`` the jobs run in N forked pool
processes: Python reseeds the generator in each forked child, each process's jobs continue
its own stream, and the calling process's state is untouched. Luigi draws from the
module's generator (its worker id's salt, the idle-wait jitter) and reseeds it in each
task process; none of that may reach the script.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_kit import both, command, environment  # noqa: E402

# One task after another (a chain): the order of jobs is Ruffus' own, so are the numbers.
CHAIN = """\
import random, sys
from ruffus import *

random.seed(42)

@originate(["a.%d" % i for i in range(5)])
def make(out):
    with open(out, "w") as f:
        f.write("%r %r\\n" % (random.random(), random.randrange(10**9)))

@transform(make, suffix(""), ".t")
def step(i, o):
    with open(o, "w") as f:
        f.write("%r\\n" % random.random())

@merge(step, "all")
def gather(i, o):
    with open(o, "w") as f:
        f.write("%r\\n" % random.random())

pipeline_run(multiprocess=1, verbose=0)
print("after", random.random())
"""

# N pool processes: each job records the generator's state when it starts and ends.
POOL = """\
import hashlib, os, pickle, random, time
from ruffus import *

random.seed(42)
SEEDED = hashlib.md5(pickle.dumps(random.getstate())).hexdigest()

def state():
    return hashlib.md5(pickle.dumps(random.getstate())).hexdigest()

@originate(["o.%02d" % i for i in range(12)])
def make(out):
    before = state()
    random.random()
    time.sleep(0.05)
    with open(out, "w") as f:
        f.write("%d %.6f %s %s %s\\n" % (os.getpid(), time.time(), before, state(), SEEDED))

@run_in_main_process()
@transform(make, suffix(".00"), ".main")
def in_main(i, o):
    with open(o, "w") as f:
        f.write("%r %r\\n" % (random.random(), random.random()))

pipeline_run(multiprocess=3, verbose=0)
print("after", random.random())
"""


def _pool_facts(workdir: Path) -> dict:
    """What is deterministic about the pool's jobs: per process, one stream; each process reseeded."""
    by_pid = collections.defaultdict(list)
    seeded = None
    for f in sorted(workdir.glob("o.[0-9]*")):
        pid, when, before, after, seeded = f.read_text().split()
        by_pid[pid].append((float(when), before, after))
    streams_continue = all(
        a[2] == b[1] for rows in by_pid.values() for a, b in zip(sorted(rows), sorted(rows)[1:], strict=False)
    )
    firsts = [min(rows)[1] for rows in by_pid.values()]
    return {
        "jobs": sum(len(r) for r in by_pid.values()),
        "processes": len(by_pid),
        "each process continues one stream": streams_continue,
        "processes start from different states": len(set(firsts)) == len(firsts),
        "a process starts from the seeded state": seeded in firsts,
        "in the main process": (workdir / "o.main").read_text(),
    }


@pytest.mark.timeout(240)
def test_multiprocess_1_jobs_draw_the_numbers_they_draw_under_ruffus(tmp_path: Path) -> None:
    done = both(tmp_path, CHAIN)
    for impl, proc in done.items():
        assert proc.returncode == 0, (impl, proc.stderr)
    assert done["ruffus_luigi"].stdout == done["ruffus"].stdout
    for name in ["all", *("a.%d" % i for i in range(5)), *("a.%d.t.t" % i for i in range(5))]:
        assert (tmp_path / "ruffus_luigi" / name).read_text() == (tmp_path / "ruffus" / name).read_text(), name


@pytest.mark.timeout(240)
def test_multiprocess_1_through_luigid_leaves_the_stream_alone(tmp_path: Path, luigid) -> None:
    """Idle waits for luigid's work draw Luigi's jitter: not from the script's generator."""
    reference = both(tmp_path, CHAIN)["ruffus"]
    work = tmp_path / "luigid_run"
    work.mkdir()
    (work / "pipeline.py").write_text(CHAIN)
    host, port = re.match(r"http://([^:/]+):(\d+)", luigid.url).groups()
    argv = command("ruffus_luigi", "pipeline.py")
    argv[3:3] = ["--scheduler-host", host, "--scheduler-port", port]
    proc = subprocess.run(argv, cwd=work, env=environment("ruffus_luigi"), capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == reference.stdout
    assert (work / "all").read_text() == (tmp_path / "ruffus" / "all").read_text()


@pytest.mark.timeout(240)
def test_multiprocess_n_pool_processes_and_the_caller_see_what_ruffus_gives(tmp_path: Path) -> None:
    done = both(tmp_path, POOL)
    for impl, proc in done.items():
        assert proc.returncode == 0, (impl, proc.stderr)
    # the caller's stream: untouched by the run ... and the job run in it continues it
    assert done["ruffus_luigi"].stdout == done["ruffus"].stdout
    ours, ref = _pool_facts(tmp_path / "ruffus_luigi"), _pool_facts(tmp_path / "ruffus")
    assert ref["each process continues one stream"] and not ref["a process starts from the seeded state"]
    assert ours == ref
