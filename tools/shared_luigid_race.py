"""Race two runs of one pipeline in one directory against one luigid; count jobs run twice.

The README promises that two runs of one pipeline started together against a shared
luigid run every job once. This starts a loopback luigid (``tools/luigid.py``), writes a
pipeline of a few hundred small jobs (each appends one line to ``jobs.log`` with
O_APPEND), and for each try: runs it once alone (so luigid has seen the directory), deletes
the outputs, starts two ``ruffus-luigi run`` at once in the same directory, and counts the
jobs that ran twice. Tries follow each other within luigid's 10 s ``stable_done_cooldown``
so each race also meets the ids the last try left done. Command line::

    python3 tools/shared_luigid_race.py [--tries 30] [--jobs 200] [--mp 2] [--pause 0.01]
        [--keep-history] [--symlink] [--code CHECKOUT]

Prints one line per try and a summary ``duplicates in K of N tries``; exit status 1 when
any try ran a job twice, or a run failed, or the outputs differ from a lone run's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

from luigid import Luigid  # noqa: E402

PIPELINE = '''
import os
import sys
import time

from ruffus import *

N = int(os.environ.get("RACE_JOBS", "200"))
PAUSE = float(os.environ.get("RACE_PAUSE", "0"))


def record(what):
    time.sleep(PAUSE)
    fd = os.open("jobs.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, ("%s\\n" % what).encode())
    finally:
        os.close(fd)


@originate(["f%04d.start" % i for i in range(N)])
def make(o):
    record("make " + o)
    with open(o, "w") as f:
        f.write(o + "\\n")


@transform(make, suffix(".start"), ".a")
def step_a(i, o):
    record("step_a " + o)
    with open(o, "w") as f:
        f.write(open(i).read() + "a\\n")


@transform(step_a, suffix(".a"), ".b")
def step_b(i, o):
    record("step_b " + o)
    with open(o, "w") as f:
        f.write(open(i).read() + "b\\n")


@merge(step_b, "all.txt")
def total(i, o):
    record("total " + o)
    with open(o, "w") as f:
        f.write("".join(open(x).read() for x in sorted(i)))


if __name__ == "__main__":
    pipeline_run(verbose=0, multiprocess=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
'''

SCRIPT = "race_pipeline.py"


def write_pipeline(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / SCRIPT).write_text(PIPELINE)


def clean(workdir: Path, keep_history: bool) -> None:
    """Delete every output and the log; the history too unless asked to keep it."""
    for path in workdir.iterdir():
        if path.name == SCRIPT or (keep_history and path.name == ".ruffus_history.sqlite"):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


CODE = REPO
"""The checkout whose ruffus_luigi runs (``--code``: measure another one, e.g. before a fix)."""


def start(workdir: Path, url: str, jobs: int, mp: int, cwd_alias: Path | None = None,
          pause: float = 0.01, env: dict | None = None) -> subprocess.Popen:
    """``ruffus-luigi --scheduler-host H --scheduler-port P run race_pipeline.py MP`` in ``workdir``
    (entered through ``cwd_alias`` if given), in a session of its own."""
    host, port = url.rstrip("/").rsplit("/", 1)[-1].split(":")
    env = dict(os.environ, **(env or {}), PYTHONPATH=str(CODE), RACE_JOBS=str(jobs), RACE_PAUSE=str(pause))
    return subprocess.Popen(
        [sys.executable, "-m", "ruffus_luigi", "--scheduler-host", host, "--scheduler-port", port,
         "run", SCRIPT, str(mp)],
        cwd=cwd_alias or workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )


def finish(runs: list[subprocess.Popen], timeout: float) -> list[tuple[int, str]]:
    """Each run's exit status and stderr; a run still going after ``timeout`` is killed (by pid)."""
    results = []
    try:
        for run in runs:
            _out, err = run.communicate(timeout=timeout)
            results.append((run.returncode, err))
    finally:
        for run in runs:
            if run.poll() is None:
                os.killpg(run.pid, 9)
                run.wait()
    return results


def job_counts(workdir: Path) -> Counter:
    log = workdir / "jobs.log"
    return Counter(log.read_text().splitlines()) if log.exists() else Counter()


def outputs(workdir: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in sorted(workdir.iterdir())
        if p.is_file() and p.name.endswith((".start", ".a", ".b", ".txt"))
    }


def race_once(workdir: Path, url: str, jobs: int, mp: int, keep_history: bool, alias: Path | None,
              pause: float = 0.01, stagger: float = 0.0, lone: bool = True,
              timeout: float = 300) -> tuple[int, int, list[str]]:
    """One try: a lone run (its outputs kept in ``../expected``; unless ``lone`` is false: an earlier
    try's), outputs deleted, two runs at once. Returns (jobs run twice, distinct jobs run, problems)."""
    problems = []
    if lone:
        clean(workdir, keep_history=False)
        for code, err in finish([start(workdir, url, jobs, mp, pause=pause)], timeout):
            if code != 0:
                problems.append("the lone run failed: %s" % err[-2000:])
        shutil.rmtree(workdir.parent / "expected", ignore_errors=True)
        (workdir.parent / "expected").mkdir()
        for name, data in outputs(workdir).items():
            (workdir.parent / "expected" / name).write_bytes(data)
    expected = outputs(workdir.parent / "expected")
    clean(workdir, keep_history)
    runs = [start(workdir, url, jobs, mp, pause=pause)]
    time.sleep(stagger)
    runs.append(start(workdir, url, jobs, mp, cwd_alias=alias, pause=pause))
    for code, err in finish(runs, timeout):
        if code != 0:
            problems.append("a raced run failed: %s" % err[-2000:])
    counts = job_counts(workdir)
    if outputs(workdir) != expected:
        problems.append("outputs differ from the lone run's")
    if len(counts) != 3 * jobs + 1:
        problems.append("%d distinct jobs ran, not %d" % (len(counts), 3 * jobs + 1))
    return sum(n - 1 for n in counts.values() if n > 1), len(counts), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=200, help="files originated (jobs: 3 per file, plus 1)")
    parser.add_argument("--mp", type=int, default=2, help="multiprocess of each run")
    parser.add_argument("--pause", type=float, default=0.01, help="seconds each job sleeps (default 0.01)")
    parser.add_argument("--stagger", type=float, default=0.0, help="seconds between the two starts (default 0)")
    parser.add_argument("--lone-once", action="store_true",
                        help="one lone run before the first try only (later tries follow the last race)")
    parser.add_argument("--code", help="the checkout whose ruffus_luigi to run (default: this one)")
    parser.add_argument("--keep-history", action="store_true", help="delete outputs but keep .ruffus_history.sqlite")
    parser.add_argument("--symlink", action="store_true", help="start the second run through a symlink to the directory")
    parser.add_argument("--luigid", help="an already running luigid's URL (default: start one)")
    options = parser.parse_args(argv)
    global CODE
    CODE = Path(options.code).resolve() if options.code else REPO
    base = Path(tempfile.mkdtemp(prefix="race_"))
    workdir = base / "work"
    write_pipeline(workdir)
    alias = None
    if options.symlink:
        alias = base / "alias"
        alias.symlink_to(workdir)
    server = None
    try:
        if options.luigid:
            url = options.luigid
        else:
            server = Luigid(base / "luigid").start()
            url = server.url
        bad = 0
        failed = 0
        for attempt in range(1, options.tries + 1):
            t0 = time.monotonic()
            dups, ran, problems = race_once(
                workdir, url, options.jobs, options.mp, options.keep_history, alias, options.pause,
                options.stagger, lone=attempt == 1 or not options.lone_once,
            )
            bad += dups > 0
            failed += bool(problems)
            print("try %d: %d jobs run twice (%d distinct jobs) %.1fs %s"
                  % (attempt, dups, ran, time.monotonic() - t0, "; ".join(p.splitlines()[0] for p in problems)),
                  flush=True)
        print("duplicates in %d of %d tries; %d tries with other problems" % (bad, options.tries, failed))
        return 1 if bad or failed else 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
