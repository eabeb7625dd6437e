"""The plan cache notices every write to the history it did not make.

A directory is run by ruffus-luigi (its plan cache keeps the jobs and verdicts), then
something else writes the history: real Ruffus 3.0.0 (a forced job that fails, a normal
run, a run touching files only), the sqlite3 shell, another Python process; or the
history is replaced, restored from a backup, deleted. The next ruffus-luigi run must do
exactly what real Ruffus does from the same state (a copy of the directory, files with
their times).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HISTORY = ".ruffus_history.sqlite"

SCRIPT = textwrap.dedent(
    """
    import os
    from ruffus import *

    def log(name):
        with open("jobs.log", "a") as f:
            f.write(name + "\\n")

    @originate(["a.start", "b.start", "c.start"])
    def make(output):
        log("make " + output)
        open(output, "w").write(output)

    @transform(make, suffix(".start"), ".mid")
    def mid(input_file, output):
        log("mid " + output)
        open(output, "w").write(open(input_file).read() + "+mid")
        if output in os.environ.get("FAIL", "").split(","):
            raise RuntimeError("failing on purpose: " + output)

    @merge(mid, "all.txt")
    def total(inputs, output):
        log("total " + output)
        open(output, "w").write("".join(open(i).read() for i in sorted(inputs)))

    force = [t for t in os.environ.get("FORCE", "").split(",") if t]
    touch = {"": False, "touch": True, "regenerate": 2}[os.environ.get("TOUCH", "")]
    pipeline_run(verbose=0, forcedtorun_tasks=force, touch_files_only=touch,
                 checksum_level=int(os.environ.get("LEVEL", "1")))
    """
)


def _env(ruffus_luigi: bool, extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FAIL", "FORCE", "TOUCH")}
    if ruffus_luigi:
        env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def run(workdir: Path, ruffus_luigi: bool, **extra: str) -> tuple[list[str], subprocess.CompletedProcess]:
    """Run the script (under ruffus-luigi or real Ruffus); the jobs it ran, sorted."""
    log = workdir / "jobs.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    cmd = [sys.executable, "-m", "ruffus_luigi", "run", "p.py"] if ruffus_luigi else [sys.executable, "p.py"]
    done = subprocess.run(cmd, cwd=workdir, env=_env(ruffus_luigi, extra), capture_output=True, text=True,
                          timeout=120)
    ran = sorted(log.read_text().splitlines()[before:]) if log.exists() else []
    return ran, done


def ruffus_luigi_matches_ruffus(workdir: Path, tmp_path: Path) -> list[str]:
    """The next ruffus-luigi run in ``workdir`` does what real Ruffus does in a copy of it."""
    copy = tmp_path / ("copy%d" % len(list(tmp_path.glob("copy*"))))
    shutil.copytree(workdir, copy, copy_function=shutil.copy2)  # (file times kept)
    expected, done = run(copy, ruffus_luigi=False)
    assert done.returncode == 0, done.stderr
    ran, done = run(workdir, ruffus_luigi=True)
    assert done.returncode == 0, done.stderr
    assert ran == expected, "ruffus-luigi ran %s, Ruffus %s" % (ran, expected)
    # and afterwards, both agree there is nothing left
    assert run(workdir, ruffus_luigi=True)[0] == []
    return ran


@pytest.fixture
def cached(tmp_path: Path) -> Path:
    """A directory run to completion by ruffus-luigi, whose plan cache holds every verdict."""
    workdir = tmp_path / "w"
    workdir.mkdir()
    (workdir / "p.py").write_text(SCRIPT)
    ran, done = run(workdir, ruffus_luigi=True)
    assert done.returncode == 0 and len(ran) == 7, done.stderr
    assert run(workdir, ruffus_luigi=True)[0] == []  # the second run keeps the verdicts
    con = sqlite3.connect(workdir / HISTORY)
    assert con.execute("SELECT count() FROM ruffus_luigi_plan").fetchone()[0] == 3
    con.close()
    return workdir


HELD = pytest.mark.held("plan cache: foreign history writes", "state corruption")


@HELD
@pytest.mark.timeout(300)
def test_ruffus_forced_job_that_fails(cached, tmp_path):
    ran, done = run(cached, ruffus_luigi=False, FORCE="mid", FAIL="b.mid")
    assert done.returncode != 0 and "failing on purpose" in done.stderr
    # Ruffus forgot the failed job's record: it and the merge are to be redone
    assert ruffus_luigi_matches_ruffus(cached, tmp_path) == ["mid b.mid", "total all.txt"]


@HELD
@pytest.mark.timeout(300)
@pytest.mark.parametrize("force", ["make", "mid", "total"])
def test_ruffus_normal_forced_run(cached, tmp_path, force):
    ran, done = run(cached, ruffus_luigi=False, FORCE=force)
    assert done.returncode == 0 and ran, done.stderr
    ruffus_luigi_matches_ruffus(cached, tmp_path)


@HELD
@pytest.mark.timeout(300)
@pytest.mark.parametrize("touch", ["touch", "regenerate"])
def test_ruffus_touch_files_only(cached, tmp_path, touch):
    ran, done = run(cached, ruffus_luigi=False, FORCE="mid", TOUCH=touch)
    assert done.returncode == 0, done.stderr
    ruffus_luigi_matches_ruffus(cached, tmp_path)


@HELD
@pytest.mark.timeout(300)
def test_hand_edit_with_the_sqlite3_shell(cached, tmp_path):
    subprocess.run(["sqlite3", str(cached / HISTORY), "DELETE FROM data WHERE key = 'c.mid'"],
                   check=True, timeout=60)
    assert ruffus_luigi_matches_ruffus(cached, tmp_path) == ["mid c.mid", "total all.txt"]


@HELD
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "counting_off",
    [
        "UPDATE ruffus_metadata SET value = '1' WHERE key = 'ruffus_luigi_writing'",
        "DELETE FROM ruffus_metadata WHERE key = 'ruffus_luigi_writing'",
        "DROP TRIGGER ruffus_luigi_foreign_delete",
        "DELETE FROM ruffus_metadata WHERE key = 'ruffus_luigi_foreign_writes'",
        "DELETE FROM ruffus_metadata WHERE key LIKE 'ruffus_luigi%'",
    ],
)
def test_hand_edit_that_first_turns_the_counting_off(cached, tmp_path, counting_off):
    sql = counting_off + "; DELETE FROM data WHERE key = 'c.mid';"
    subprocess.run(["sqlite3", str(cached / HISTORY), sql], check=True, timeout=60)
    assert ruffus_luigi_matches_ruffus(cached, tmp_path) == ["mid c.mid", "total all.txt"]


@HELD
@pytest.mark.timeout(300)
def test_record_rewritten_by_another_python_process(cached, tmp_path):
    # a.start's record made newer than everything: a.mid (and the merge) are out of date for Ruffus
    code = textwrap.dedent(
        """
        import sqlite3, pickle, time, sys
        con = sqlite3.connect(sys.argv[1], isolation_level=None)
        value = con.execute("SELECT value FROM data WHERE key = 'a.start'").fetchone()[0]
        rec = pickle.loads(value)  # (real Ruffus' record class)
        rec.mtime = time.time() + 3600
        con.execute("UPDATE data SET value = ? WHERE key = 'a.start'", (pickle.dumps(rec),))
        """
    )
    subprocess.run([sys.executable, "-c", code, str(cached / HISTORY)], env=_env(False, {}), check=True,
                   timeout=60)
    assert ruffus_luigi_matches_ruffus(cached, tmp_path) == ["mid a.mid", "total all.txt"]


@HELD
@pytest.mark.timeout(300)
def test_history_replaced_by_another_file(cached, tmp_path):
    # Ruffus' history of the same directory made elsewhere, then moved over ours (a new inode)
    other = tmp_path / "other"
    shutil.copytree(cached, other, copy_function=shutil.copy2)
    (other / HISTORY).unlink()
    run(other, ruffus_luigi=False, FORCE="make")
    shutil.copy2(other / HISTORY, cached / "new.sqlite")
    os.replace(cached / "new.sqlite", cached / HISTORY)
    ruffus_luigi_matches_ruffus(cached, tmp_path)


@HELD
@pytest.mark.timeout(300)
def test_history_restored_from_a_backup(cached, tmp_path):
    backup = tmp_path / "backup.sqlite"
    shutil.copy2(cached / HISTORY, backup)
    # Ruffus forgets b.mid, ruffus-luigi redoes it and the merge: the history moves on
    run(cached, ruffus_luigi=False, FORCE="mid", FAIL="b.mid")
    assert run(cached, ruffus_luigi=True)[0] == ["mid b.mid", "total all.txt"]
    # the older history comes back under the same name (its content, cache and count of then)
    with open(backup, "rb") as src, open(cached / HISTORY, "r+b") as dst:
        dst.truncate(0)
        shutil.copyfileobj(src, dst)
    ruffus_luigi_matches_ruffus(cached, tmp_path)


@HELD
@pytest.mark.timeout(300)
def test_history_deleted(cached, tmp_path):
    (cached / HISTORY).unlink()
    assert len(ruffus_luigi_matches_ruffus(cached, tmp_path)) == 7
