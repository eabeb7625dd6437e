"""The driver (``ruffus-luigi run``) dies while its N worker processes run slow jobs.

For SIGTERM, SIGINT, SIGHUP and SIGKILL sent to the driver alone (its workers are not
signalled: they must notice by themselves), with ``multiprocess=4`` and chunks of several
jobs:

- no job starts after the signal (each job appends ``start <name> <pid> <time>`` to
  jobs.log as its first act);
- every worker process (pids from jobs.log) is gone within a bounded wait;
- a rerun started at once, while the orphans may still run, never runs a job beside
  another copy of itself nor one that had finished, and ends with every output
  byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
N_JOBS = 16
SCRIPT = '''
import os, sys, time
from ruffus import originate, pipeline_run

def log(event, name):
    with open("jobs.log", "a") as f:
        f.write("%s %s %d %.6f\\n" % (event, name, os.getpid(), time.time()))

@originate(["out%02d.txt" % i for i in range(''' + str(N_JOBS) + ''')])
def slow(output):
    name = os.path.basename(output)
    log("start", name)
    with open(output, "w") as f:
        f.write(("%s first half\\n" % name) * 200)
        f.flush()
        time.sleep(float(os.environ.get("JOB_SECONDS", "0.8")))
        f.write(("%s second half\\n" % name) * 200)
    log("done", name)

if __name__ == "__main__":
    pipeline_run(verbose=1, multiprocess=4, jobs_per_luigi_task=int(sys.argv[1]), checkpoint=sys.argv[2] or None)
'''


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def _default_signals() -> None:
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)


def start(workdir: Path, chunk: int, strategy: str = "") -> subprocess.Popen:
    out = open(workdir.parent / ("%s.%d.out" % (workdir.name, len(list(workdir.parent.glob("*.out"))))), "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ruffus_luigi", "run", "slow.py", str(chunk), strategy],
        cwd=workdir, env=_env(), stdout=out, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=_default_signals,
    )
    proc.out_file = out  # type: ignore[attr-defined]
    return proc


def finish(proc: subprocess.Popen, timeout: float = 90) -> tuple[int, str]:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError("the run did not end within %s s" % timeout) from None
    proc.out_file.seek(0)  # type: ignore[attr-defined]
    text = proc.out_file.read()  # type: ignore[attr-defined]
    proc.out_file.close()  # type: ignore[attr-defined]
    return proc.returncode, text


def events(workdir: Path) -> list[tuple[str, str, int, float]]:
    log = workdir / "jobs.log"
    if not log.exists():
        return []
    rows = []
    for line in log.read_text().splitlines():
        event, name, pid, when = line.split()
        rows.append((event, name, int(pid), float(when)))
    return rows


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper has stopped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def wait_for(predicate, what: str, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(0.02)


def outputs(workdir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(workdir.glob("out*.txt"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    workdir = tmp_path_factory.mktemp("reference") / "work"
    workdir.mkdir()
    (workdir / "slow.py").write_text(SCRIPT)
    rc, out = finish(start(workdir, 4))
    assert rc == 0, out
    got = outputs(workdir)
    assert len(got) == N_JOBS
    return got


@pytest.mark.timeout(240)
@pytest.mark.held("killed driver", "adversarial")
@pytest.mark.parametrize("strategy", ["", "atomic"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"])
def test_driver_killed_no_job_starts_after_it_no_worker_left_rerun_at_once(signum, strategy, tmp_path, reference):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "slow.py").write_text(SCRIPT)
    proc = start(workdir, 4, strategy)
    rerun = None
    leftover: list[int] = []
    try:
        wait_for(lambda: len([e for e in events(workdir) if e[0] == "start"]) >= 4, "4 jobs to start", 60)
        sent = time.time()
        os.kill(proc.pid, signum)  # the driver alone: its workers must notice by themselves
        proc.wait(timeout=60)
        gone = time.time()
        rerun = start(workdir, 4, strategy)  # at once: the killed run's workers may still run
        first = [e for e in events(workdir)]
        workers = {pid for _, _, pid, _ in first} - {proc.pid}
        assert workers, "the jobs must run in worker processes"

        # every worker ends by itself, within a bounded wait
        try:
            wait_for(lambda: not [p for p in workers if alive(p)], "the killed run's workers to end", 15)
        finally:
            leftover = [p for p in workers if alive(p)]
        rc, out = finish(rerun)
        assert rc == 0, out

        rows = events(workdir)
        theirs = [e for e in rows if e[2] in workers]
        late = [e for e in theirs if e[0] == "start" and e[3] > gone + 0.2]
        assert not late, "jobs started after the driver (signalled at %.3f) was gone (%.3f): %s" % (sent, gone, late)

        # no job ran twice: what the killed run finished is not rerun; a job the killed run was
        # writing is redone only after that copy stopped
        done_first = {name: when for e, name, pid, when in theirs if e == "done"}
        rerun_rows = [e for e in rows if e[2] not in workers]
        rerun_started = {name: when for e, name, _, when in rerun_rows if e == "start"}
        # (a job stopped between its last line and its output being recorded is redone: at most one per worker)
        racing = {name for name, when in done_first.items() if when >= sent - 0.25}
        again = set(done_first) & set(rerun_started)
        assert not again - racing and len(again) <= 4, "the rerun ran jobs that had finished: %s" % again
        assert sorted(set(done_first) | set(rerun_started)) == sorted("out%02d.txt" % i for i in range(N_JOBS))
        assert len(rerun_started) == len([e for e in rerun_rows if e[0] == "start"]), "a job ran twice in the rerun"
        for name, when in rerun_started.items():
            last_of_theirs = max((w for _, n, _, w in theirs if n == name), default=0.0)
            assert when > last_of_theirs, "%s ran in the rerun while the killed run's copy was still writing it" % name
        assert outputs(workdir) == reference
        assert not list(workdir.rglob(".ruffus_luigi.tmp")), "temporary files were left behind"
        assert "Traceback" not in out
    finally:
        for p in [proc.pid, *leftover]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if rerun is not None and rerun.poll() is None:
            os.killpg(rerun.pid, signal.SIGKILL)
            rerun.wait()
