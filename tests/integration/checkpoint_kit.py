"""What the interrupted-run tests of checkpoint strategies share (local and cluster back ends).

The pipeline is tests/pipelines/scenarios/checkpoint_chain.py: three samples, each
``make s/s.start -> mid s/s.mid -> end s/s.end``, then ``total total.txt`` reads every
``.end``. A job is named as jobs.log names it: ``"mid s1.mid"``.

After an interruption the tests compute which jobs a rerun must run, exactly: every job
that had not finished, plus what a freeing strategy must bring back (the producer of a
zeroed or removed file a rerunning job reads), plus the jobs downstream of a rerunning
job (its output is new). Everything else had succeeded and must not run again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "checkpoint_chain.py"
STRATEGIES = ["history", "atomic", "zero-intermediates", "remove-intermediates"]
SAMPLES = ["s0", "s1", "s2"]
TMP_DIR = ".ruffus_luigi.tmp"

OUTPUT: dict[str, str] = {}  # job -> its output, relative to the working directory
INPUTS: dict[str, list[str]] = {}  # job -> its inputs
for _s in SAMPLES:
    OUTPUT["make %s.start" % _s], INPUTS["make %s.start" % _s] = "%s/%s.start" % (_s, _s), []
    OUTPUT["mid %s.mid" % _s], INPUTS["mid %s.mid" % _s] = "%s/%s.mid" % (_s, _s), ["%s/%s.start" % (_s, _s)]
    OUTPUT["end %s.end" % _s], INPUTS["end %s.end" % _s] = "%s/%s.end" % (_s, _s), ["%s/%s.mid" % (_s, _s)]
OUTPUT["total total.txt"], INPUTS["total total.txt"] = "total.txt", ["%s/%s.end" % (s, s) for s in SAMPLES]
ALL_JOBS = set(OUTPUT)
PRODUCER = {path: job for job, path in OUTPUT.items()}
CONSUMERS = {path: {job for job, inputs in INPUTS.items() if path in inputs} for path in PRODUCER}
FULL_SIZE = {"make": 7600, "mid": 7600, "end": 7600}  # bytes of a sample's outputs (checked by the reference)
BOOKKEEPING = {SCRIPT.name, "jobs.log", "release", "luigi.cfg"}
# Where the runs' Python keeps bytecode when the environment forbids writing it beside the
# sources (PYTHONDONTWRITEBYTECODE): compiling ruffus-luigi afresh costs every run ~0.1 s of CPU.
PYCACHE = Path(tempfile.gettempdir()) / "ruffus-luigi-test-pycache"


def job_of(output: str) -> str:
    return PRODUCER[output]


# -- running ---------------------------------------------------------------------------
def environment(extra: dict | None = None, base: dict | None = None) -> dict:
    env = {k: v for k, v in (base or os.environ).items() if not k.startswith("RUFFUS_LUIGI_")}
    env.pop("HOLD", None)
    # (this source's plugins too: an installed older copy must not stand in for them)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *map(str, sorted((REPO / "plugins").glob("ruffus-luigi-*")))])
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    env.update(extra or {})
    return env


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(workdir: Path, strategy: str, env: dict | None = None, jobs: int = 2, base: dict | None = None,
          prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    """The pipeline started in its own process group; its output goes to a file beside workdir.

    ``prefix``: a command the run goes through (e.g. setpriv dropping capabilities).
    """
    if not (workdir / SCRIPT.name).exists():
        shutil.copy(SCRIPT, workdir / SCRIPT.name)
    n = len(list(workdir.parent.glob(workdir.name + ".run*.out")))
    out = open(workdir.parent / ("%s.run%d.out" % (workdir.name, n)), "w+")
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, strategy, str(jobs)],
        cwd=workdir, env=environment(env, base), stdout=out, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # and Ctrl-C reaches it as one, even when pytest was started where SIGINT is ignored
        # (a background job of a script): Python would keep ignoring it
        preexec_fn=_default_sigint,
    )
    proc.out_file = out  # type: ignore[attr-defined]
    return proc


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    """Wait for the run; its exit code and output. A run that hangs is killed (group) and fails the test."""
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


def run(workdir: Path, strategy: str, env: dict | None = None, base: dict | None = None,
        prefix: tuple[str, ...] = ()) -> tuple[int, str, Counter]:
    """One whole run: exit code, output, and the jobs it started (Counter of job names)."""
    before = len(log_lines(workdir))
    rc, out = finish(start(workdir, strategy, env, base=base, prefix=prefix))
    return rc, out, Counter(job for event, job, *_ in log_lines(workdir)[before:] if event == "start")


def workdir_in(tmp_path: Path) -> Path:
    """The run's working directory: its output files (``work*.out``) go beside it, in ``tmp_path``."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    return workdir


_references: dict[str, dict[str, bytes | None]] = {}


def reference(strategy: str, factory: pytest.TempPathFactory) -> dict[str, bytes | None]:
    """What an uninterrupted local run with ``strategy`` leaves (see ``snapshot``).

    One run per strategy and test session: under pytest-xdist the first worker to need it
    makes it, under a lock, in the session's base temporary directory, and the others read
    that directory (each reference costs a whole run, and every test compares with one).
    """
    if strategy in _references:
        return _references[strategy]
    shared = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's, holding each worker's own
    workdir = shared / ("reference-" + strategy)
    made = shared / ("reference-%s.made" % strategy)
    with open(shared / ("reference-%s.lock" % strategy), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir()
            rc, out, ran = run(workdir, strategy)
            assert rc == 0, out
            assert ran == Counter(ALL_JOBS)
            made.touch()
    got = snapshot(workdir)
    if strategy == "history":
        for job, path in OUTPUT.items():
            if job.split()[0] in FULL_SIZE:
                assert len(got[path]) == FULL_SIZE[job.split()[0]], path  # type: ignore[arg-type]
    else:  # the strategies change where files are kept, never what the final result is
        assert got["total.txt"] == reference("history", factory)["total.txt"]
    _references[strategy] = got
    return got


# -- observing -------------------------------------------------------------------------
def log_lines(workdir: Path) -> list[tuple[str, str, int, str]]:
    """jobs.log as (event, job, pid, cluster job id)."""
    log = workdir / "jobs.log"
    if not log.exists():
        return []
    rows = []
    for line in log.read_text().splitlines():
        event, task, output, pid, job_id = line.split()
        rows.append((event, "%s %s" % (task, output), int(pid), job_id))
    return rows


def jobs_with(workdir: Path, event: str) -> set[str]:
    return {job for e, job, *_ in log_lines(workdir) if e == event}


def wait_for(predicate: Callable, what: str | Callable[[], str], timeout: float = 60, every: float = 0.02):
    """Poll ``predicate`` until it returns something true; return that.

    ``what`` may be a function: the message then says what held at the timeout, not at the start.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what() if callable(what) else what))
        time.sleep(every)


def run_output_tail(workdir: Path, lines: int = 15) -> str:
    """The end of the latest run's output (``work.runN.out`` beside ``workdir``)."""
    outs = sorted(workdir.parent.glob(workdir.name + ".run*.out"), key=lambda p: p.stat().st_mtime)
    return "\n".join(outs[-1].read_text(errors="replace").splitlines()[-lines:]) if outs else "(no run output)"


def wait_half_written(
    workdir: Path, jobs: list[str], timeout: float = 60, since: int = 0
) -> dict[str, tuple[int, str]]:
    """Wait until each of ``jobs`` has written half its output (after log line ``since``); their (pid, cluster job id)."""

    def found():
        lines = log_lines(workdir)[since:]
        half = {job: (pid, job_id) for e, job, pid, job_id in lines if e == "half" and job in jobs}
        return half if len(half) == len(jobs) else None

    return wait_for(
        found,
        lambda: "%s to be half-written (log: %s)\nthe run's output ends:\n%s"
        % (jobs, log_lines(workdir)[since:], run_output_tail(workdir)),
        timeout,
    )


def snapshot(workdir: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and directory (None) of the run, bookkeeping left out; temporary files included."""
    found: dict[str, bytes | None] = {}
    for root, dirs, files in os.walk(workdir):
        rel_root = os.path.relpath(root, workdir)
        if rel_root == ".":
            dirs[:] = [d for d in dirs if d != ".ruffus_luigi"]  # a cluster back end's job files
        for d in dirs:
            found[os.path.normpath(os.path.join(rel_root, d))] = None
        for f in files:
            rel = os.path.normpath(os.path.join(rel_root, f))
            if rel in BOOKKEEPING or rel.startswith(".ruffus_history.sqlite"):
                continue
            found[rel] = Path(root, f).read_bytes()
    return found


def freed_files(workdir: Path) -> set[str]:
    """Files a freeing strategy recorded and that are freed now (as the strategy itself judges)."""
    history = workdir / ".ruffus_history.sqlite"
    if not history.exists():
        return set()
    con = sqlite3.connect(history)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'ruffus_luigi_intermediates'").fetchone():
            return set()
        rows = con.execute("SELECT path, state, mtime_ns FROM ruffus_luigi_intermediates").fetchall()
    finally:
        con.close()
    freed = set()
    for path, state, mtime_ns in rows:
        p = Path(path)
        if state == "removed" and not os.path.lexists(p):
            freed.add(os.path.relpath(p, workdir))
        elif state == "zeroed" and p.exists() and p.stat().st_size == 0 and p.stat().st_mtime_ns == mtime_ns:
            freed.add(os.path.relpath(p, workdir))
    return freed


def expected_rerun(done: set[str], freed: set[str]) -> set[str]:
    """The jobs a rerun must run: unfinished ones, producers of freed inputs they read, and what follows them."""
    want = ALL_JOBS - done
    while True:
        more = {PRODUCER[f] for job in want for f in INPUTS[job] if f in freed}
        more |= {c for job in want for c in CONSUMERS[OUTPUT[job]]}
        if more <= want:
            return want
        want |= more


def leftovers(workdir: Path) -> list[str]:
    """Temporary directories of ``atomic`` anywhere under workdir."""
    return sorted(str(p.relative_to(workdir)) for p in workdir.rglob(TMP_DIR))


# -- checking --------------------------------------------------------------------------
def check_interrupted(workdir: Path, strategy: str, interrupted: set[str]) -> None:
    """Right after the interruption: no half-written file was taken as complete in that run."""
    started = jobs_with(workdir, "start")
    done = jobs_with(workdir, "done")
    assert interrupted and not (interrupted & done), "the interrupted jobs must not have finished: %s" % interrupted
    for job in interrupted:
        output = workdir / OUTPUT[job]
        readers = CONSUMERS[OUTPUT[job]] & started
        assert not readers, "%s read the half-written %s" % (readers, OUTPUT[job])
        if strategy == "atomic":
            assert not output.exists(), "atomic: a half-written %s reached its final path" % OUTPUT[job]
        else:
            # what the other strategies leave (the history does not vouch for it)
            assert output.exists() and output.stat().st_size < FULL_SIZE[job.split()[0]], (
                "the test meant to interrupt %s while writing" % job
            )


def check_rerun(workdir: Path, strategy: str, reference: dict, interrupted: set[str], env: dict | None = None,
                base: dict | None = None, started: tuple[subprocess.Popen, int] | None = None) -> tuple[set[str], int]:
    """Rerun: it runs exactly the expected jobs, once each, and ends byte-identical to the reference.

    ``started``: a rerun already going (and the jobs.log line it started at), else one is run now.
    Returns the jobs rerun and the number of files compared.
    """
    done = jobs_with(workdir, "done")
    expected = expected_rerun(done, freed_files(workdir))
    assert interrupted <= expected
    if started is None:
        rc, out, ran = run(workdir, strategy, env, base=base)
    else:
        rc, out = finish(started[0], timeout=300)
        ran = Counter(job for event, job, *_ in log_lines(workdir)[started[1]:] if event == "start")
    assert rc == 0, out
    assert ran == Counter(expected), "rerun ran %s, expected each of %s once" % (dict(ran), sorted(expected))
    got = snapshot(workdir)
    assert leftovers(workdir) == []
    assert sorted(got) == sorted(reference), "files differ from an uninterrupted run"
    different = [name for name in reference if got[name] != reference[name]]
    assert not different, "not byte-identical to an uninterrupted run: %s" % different
    compared = sum(1 for v in reference.values() if v is not None)
    record(strategy, env, interrupted, expected, done, compared)
    return expected, compared


# -- figures ---------------------------------------------------------------------------
FIGURES = Path(os.environ.get("RUFFUS_LUIGI_TEST_FIGURES") or REPO / "artifacts" / "checkpoint_interrupts.jsonl")


def record(strategy: str, env: dict | None, interrupted: set[str], rerun: set[str], done: set[str],
           compared: int) -> None:
    """One line per interruption checked, for the summary (tests/conftest.py) and the README's figures."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    line = {
        "test": test,
        "strategy": strategy,
        "backend": (env or {}).get("RUFFUS_LUIGI_BACKEND", "local"),
        "interrupted_jobs": len(interrupted),
        "jobs_rerun": len(rerun),
        "succeeded_not_rerun": len(done - rerun),
        "succeeded_rerun_to_bring_back": len(done & rerun),
        "files_compared": compared,
    }
    FIGURES.parent.mkdir(exist_ok=True)
    with open(FIGURES, "a") as f:  # one short append per line: safe across xdist workers
        f.write(json.dumps(line) + "\n")
