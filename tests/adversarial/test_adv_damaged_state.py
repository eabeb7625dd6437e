"""Damaged state files: the plan cache (rebuilt silently: it is a cache) and the job history
(one line naming the file and what to do, for ``pipeline_run`` and ``ruffus-luigi status``).

Each case checks what the user sees, that no output and no history record is lost, and that
a clean run afterwards works.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "slow_fanout.py"
EXPECTED_ALL = "".join("s%d.start\nstep\n" % i for i in range(6))
HISTORY = ".ruffus_history.sqlite"
# Root ignores file modes; without these capabilities a file's mode holds for it too.
NO_DAC_OVERRIDE = ("setpriv", "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search")

held = pytest.mark.held("clear errors: damaged state", "state corruption")


def run(workdir: Path, *args: str, prefix: tuple = (), timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "LUIGI_CONFIG"))}
    env.update(PYTHONPATH=str(REPO), VERBOSE="1", RUFFUS_LUIGI_PROGRESS="0")
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ruffus_luigi", *args],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout,
    )


def jobs(workdir: Path) -> Counter:
    log = workdir / "jobs.log"
    return Counter(line.rsplit(" ", 1)[0] for line in log.read_text().splitlines()) if log.exists() else Counter()


def outputs(workdir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(workdir.iterdir()) if p.suffix in (".start", ".mid", ".txt")}


def history_records(path: Path) -> dict:
    con = sqlite3.connect(path)
    try:
        return dict(con.execute("SELECT key, value FROM data").fetchall())
    finally:
        con.close()


def first_run(workdir: Path) -> None:
    shutil.copy(SCRIPT, workdir / SCRIPT.name)
    done = run(workdir, "run", SCRIPT.name, "2")
    assert done.returncode == 0, done.stderr
    assert (workdir / "all.txt").read_text() == EXPECTED_ALL
    (workdir / "jobs.log").unlink()


def sql(path: Path, *statements: str, params: tuple = ()) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            con.execute(statement, params if "?" in statement else ())
    finally:
        con.close()


# -- the plan cache ---------------------------------------------------------------------
PLAN_DAMAGE = {
    "garbage-rows": ("UPDATE ruffus_luigi_plan SET entry = randomblob(200)",
                     "INSERT INTO ruffus_luigi_plan VALUES ('main::nothing', X'00ff00ff')"),
    "pickles-of-another-shape": ("DELETE FROM ruffus_luigi_plan",
                                 "INSERT INTO ruffus_luigi_plan VALUES ('main::make', ?)"),
    "text-instead-of-blobs": ("UPDATE ruffus_luigi_plan SET entry = 'not a pickle', task = task || ''",),
    "other-columns": ("DROP TABLE ruffus_luigi_plan",
                      "CREATE TABLE ruffus_luigi_plan (a INTEGER, b TEXT, c REAL)",
                      "INSERT INTO ruffus_luigi_plan VALUES (1, 'x', 2.5)"),
    "same-columns-no-primary-key": ("DROP TABLE ruffus_luigi_plan",
                                    "CREATE TABLE ruffus_luigi_plan (task TEXT, entry BLOB)",
                                    "INSERT INTO ruffus_luigi_plan VALUES ('main::make', X'00')",
                                    "INSERT INTO ruffus_luigi_plan VALUES ('main::make', X'00')"),
    "a-view-of-that-name": ("DROP TABLE ruffus_luigi_plan",
                            "CREATE VIEW ruffus_luigi_plan AS SELECT key AS task, value AS entry FROM data"),
    "an-index-of-that-name": ("DROP TABLE ruffus_luigi_plan",
                              "CREATE INDEX ruffus_luigi_plan ON data (value)"),
    "its-pages-overwritten": (),  # (see garbled_plan_pages)
}


def garbled_plan_pages(path: Path) -> None:
    """Random bytes over the table's root page: reading it is 'database disk image is malformed'."""
    con = sqlite3.connect(path)
    try:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        (root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ruffus_luigi_plan'").fetchone()
    finally:
        con.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(os.urandom(page_size))


@held
@pytest.mark.timeout(180)
@pytest.mark.parametrize("damage", sorted(PLAN_DAMAGE))
def test_a_damaged_plan_cache_is_rebuilt_silently_and_the_history_kept(tmp_path, damage):
    first_run(tmp_path)
    history = tmp_path / HISTORY
    records, files = history_records(history), outputs(tmp_path)
    sql(history, *PLAN_DAMAGE[damage], params=(pickle.dumps((1, 2, 3)),))
    if damage == "its-pages-overwritten":
        garbled_plan_pages(history)

    done = run(tmp_path, "run", SCRIPT.name, "2")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "ruffus-luigi:" not in done.stderr and "WARNING" not in done.stderr
    assert jobs(tmp_path) == Counter(), "the history was intact: nothing is out of date"
    assert history_records(history) == records and outputs(tmp_path) == files
    con = sqlite3.connect(history)
    try:
        kind = con.execute("SELECT type FROM sqlite_master WHERE name = 'ruffus_luigi_plan'").fetchone()
        columns = [(c[1], c[2], c[5]) for c in con.execute("PRAGMA table_info(ruffus_luigi_plan)")]
        con.execute("SELECT count(*) FROM ruffus_luigi_plan").fetchone()  # (readable again)
    finally:
        con.close()
    assert kind == ("table",) and columns == [("task", "TEXT", 1), ("entry", "BLOB", 0)]

    # the rebuilt cache works: one input changed reruns exactly its jobs
    time.sleep(1.1)
    (tmp_path / "s3.start").write_text("s3.start\n")
    done = run(tmp_path, "run", SCRIPT.name, "2")
    assert done.returncode == 0, done.stderr
    assert jobs(tmp_path) == Counter({"step s3.mid": 1, "total all.txt": 1})
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL


# -- the job history ----------------------------------------------------------------------
def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(20000))


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:3000])


def text_file(path: Path) -> None:
    path.write_text("this is not a database\n" * 100)


def empty_header_only(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


HISTORY_DAMAGE = {
    "garbage": (garbage, "file is not a database"),
    "truncated": (truncated, "database disk image is malformed"),
    "header-only": (empty_header_only, "database disk image is malformed"),
    "a-text-file": (text_file, "file is not a database"),
}


def assert_damaged_line(stderr: str, workdir: Path, cause: str, advice: str) -> None:
    assert "Traceback" not in stderr, stderr
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("ruffus-luigi: the job history %s cannot be used (" % (workdir / HISTORY)), stderr
    assert cause in line and advice in line, line


@held
@pytest.mark.timeout(180)
@pytest.mark.parametrize("damage", sorted(HISTORY_DAMAGE))
def test_a_damaged_history_is_one_line_for_run_and_status_and_nothing_is_lost(tmp_path, damage):
    first_run(tmp_path)
    damage_it, cause = HISTORY_DAMAGE[damage]
    history = tmp_path / HISTORY
    damage_it(history)
    damaged, files = history.read_bytes(), outputs(tmp_path)

    done = run(tmp_path, "run", SCRIPT.name, "2")
    assert done.returncode == 1
    assert_damaged_line(done.stderr, tmp_path, cause, "it is damaged: move it aside and run again")
    status = run(tmp_path, "status")
    assert status.returncode == 1 and status.stdout == ""
    assert_damaged_line(status.stderr, tmp_path, cause, "it is damaged")
    assert history.read_bytes() == damaged, "the damaged history must be left for the user to look at"
    assert outputs(tmp_path) == files and jobs(tmp_path) == Counter()

    # as the message says: moved aside, the next run starts a new history
    history.rename(tmp_path / "damaged.sqlite")
    done = run(tmp_path, "run", SCRIPT.name, "2")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.txt").read_text() == EXPECTED_ALL
    assert run(tmp_path, "status").returncode == 0


PERMISSIONS = {  # what is made read-only, the mode, sqlite's reason, whether `status` (it only reads) still works
    "unreadable": (HISTORY, 0o000, "unable to open database file", False),
    "read-only-file": (HISTORY, 0o444, "attempt to write a readonly database", True),
    "read-only-directory": (".", 0o555, "attempt to write a readonly database", True),
}


@held
@pytest.mark.timeout(180)
@pytest.mark.parametrize("case", sorted(PERMISSIONS))
def test_a_history_the_user_may_not_read_or_write_is_one_line_before_any_job_runs(tmp_path, case):
    first_run(tmp_path)
    name, mode, cause, status_works = PERMISSIONS[case]
    history = tmp_path / HISTORY
    (tmp_path / "s1.mid").unlink()  # (work to do: the check is made before any job runs)
    before, files = history.read_bytes(), outputs(tmp_path)
    (tmp_path / name).chmod(mode)
    try:
        done = run(tmp_path, "run", SCRIPT.name, "2", prefix=NO_DAC_OVERRIDE)
        assert done.returncode == 1
        assert_damaged_line(done.stderr, tmp_path, cause, "check that you may read and write it and its directory")
        status = run(tmp_path, "status", prefix=NO_DAC_OVERRIDE)
        if status_works:
            assert status.returncode == 0 and status.stdout.startswith("No intermediate file"), status.stderr
        else:
            assert status.returncode == 1
            assert_damaged_line(status.stderr, tmp_path, cause, "check that you may read and write it")
    finally:
        (tmp_path / name).chmod(0o755 if name == "." else 0o644)
    assert jobs(tmp_path) == Counter(), "no job may run when its record could not be kept"
    assert history.read_bytes() == before and outputs(tmp_path) == files
    done = run(tmp_path, "run", SCRIPT.name, "2")
    assert done.returncode == 0, done.stderr
    assert jobs(tmp_path) == Counter({"step s1.mid": 1, "total all.txt": 1}), "the history came through"


@held
@pytest.mark.timeout(240)
def test_a_history_locked_by_another_process_waits_then_is_one_line(tmp_path):
    first_run(tmp_path)
    history = tmp_path / HISTORY
    records = history_records(history)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         "time.sleep(float(sys.argv[2]))\n"
         "c.execute('COMMIT')\n", str(history), "3"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        (tmp_path / "s1.mid").unlink()
        done = run(tmp_path, "run", SCRIPT.name, "2")  # a short lock: the run waits for it
        assert done.returncode == 0, done.stderr
        assert jobs(tmp_path) == Counter({"step s1.mid": 1, "total all.txt": 1})
    finally:
        holder.kill()
        holder.wait()

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         "time.sleep(600)\n", str(history)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        done = run(tmp_path, "run", SCRIPT.name, "2", timeout=150)
        assert done.returncode == 1
        assert_damaged_line(done.stderr, tmp_path, "database is locked", "another process holds it locked")
        status = run(tmp_path, "status")
        assert status.returncode == 1
        assert_damaged_line(status.stderr, tmp_path, "database is locked", "another process holds it locked")
    finally:
        holder.kill()
        holder.wait()
    assert set(history_records(history)) == set(records)
    done = run(tmp_path, "run", SCRIPT.name, "2")
    assert done.returncode == 0, done.stderr


@held
@pytest.mark.timeout(120)
def test_a_script_that_catches_the_error_gets_it_and_status_reads_an_intact_history(tmp_path):
    """The one line is only for an uncaught error: a script may catch it (a ClearError)."""
    (tmp_path / HISTORY).write_bytes(b"garbage" * 1000)
    (tmp_path / "catching.py").write_text(
        "from ruffus import *\n"
        "import ruffus_luigi\n"
        "@originate(['a.txt'])\n"
        "def make(o):\n"
        "    open(o, 'w').write('a')\n"
        "try:\n"
        "    pipeline_run(verbose=0)\n"
        "except ruffus_luigi.errors.clear_errors.DamagedHistory as e:\n"
        "    print('caught:', e)\n"
    )
    done = run(tmp_path, "run", "catching.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("caught: the job history %s cannot be used (file is not a database)" % (tmp_path / HISTORY))
    assert done.stderr == ""
