"""``ruffus-luigi status`` only looks: whatever state the working directory is in, it writes
nothing (the history's bytes, its journal, the files and their times stay), and it reports
what the next run will do.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HISTORY = ".ruffus_history.sqlite"

SCRIPT = '''\
from ruffus import cmdline, originate, suffix, transform

options = cmdline.get_argparse(description="status").parse_args()


@originate(["a.start", "b.start"])
def make(out):
    open("jobs.log", "a").write("make\\n")
    open(out, "w").write(out)


@transform(make, suffix(".start"), ".mid")
def mid(inp, out):
    open("jobs.log", "a").write("mid\\n")
    open(out, "w").write(open(inp).read())


cmdline.run(options)
'''


def ruffus_luigi(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "LUIGI_CONFIG"))}
    env.update(PYTHONPATH=str(REPO), RUFFUS_LUIGI_PROGRESS="0")
    return subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )


def snapshot(directory: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(directory.iterdir()) if p.is_file()}


def killed_while_writing_history(history: Path) -> None:
    """A writer killed inside a transaction: the history is left with a hot journal."""
    pid = os.fork()
    if pid == 0:
        try:
            con = sqlite3.connect(history, isolation_level=None)
            con.execute("PRAGMA cache_size=1")
            con.execute("BEGIN")
            for i in range(5000):
                con.execute("INSERT OR REPLACE INTO data VALUES (?, ?)", ("junk%d" % i, b"x" * 200))
        finally:
            os._exit(0)  # (no rollback, no unlock: as a kill -9 would leave it)
    os.waitpid(pid, 0)


@pytest.mark.timeout(180)
@pytest.mark.held("status only looks", "state corruption")
def test_a_history_with_a_hot_journal_is_read_without_being_rolled_back(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(SCRIPT)
    assert ruffus_luigi(tmp_path, "run", "p.py").returncode == 0
    (tmp_path / "b.mid").unlink()
    killed_while_writing_history(tmp_path / HISTORY)
    assert (tmp_path / (HISTORY + "-journal")).exists()
    before = snapshot(tmp_path)
    shown = ruffus_luigi(tmp_path, "status", "--json", "p.py")
    assert shown.returncode == 0, shown.stderr
    tasks = {t["name"]: t for t in json.loads(shown.stdout)["tasks"]}
    assert tasks["make"]["up_to_date"] and tasks["mid"]["jobs"]["out_of_date"] == 1
    freed = ruffus_luigi(tmp_path, "status")
    assert freed.returncode == 0 and freed.stdout.startswith("No intermediate file is zeroed"), freed.stderr
    assert snapshot(tmp_path) == before  # the journal is still there, the history as it was
    assert ruffus_luigi(tmp_path, "run", "p.py").returncode == 0
    assert (tmp_path / "jobs.log").read_text().splitlines()[4:] == ["mid"]  # what status said


@pytest.mark.timeout(120)
@pytest.mark.held("status only looks", "adversarial")
@pytest.mark.parametrize("options", [["-n", "-v", "3"], ["--flowchart", "flow.svg"], ["--touch_files_only"]])
def test_options_asking_the_script_for_a_printout_a_flowchart_or_touching_do_nothing(tmp_path: Path, options: list[str]) -> None:
    (tmp_path / "p.py").write_text(SCRIPT)
    before = snapshot(tmp_path)
    shown = ruffus_luigi(tmp_path, "status", "p.py", *options)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].split()[:3] == ["make", "out", "of"]
    assert "Tasks which will be run" not in shown.stdout
    assert snapshot(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["p.py"]


@pytest.mark.timeout(120)
@pytest.mark.held("status only looks", "adversarial")
def test_a_history_reached_through_a_symlink_to_a_read_only_place_is_read_not_written(tmp_path: Path) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "shared"
    work.mkdir()
    elsewhere.mkdir()
    (work / "p.py").write_text(SCRIPT)
    assert ruffus_luigi(work, "run", "p.py").returncode == 0
    os.replace(work / HISTORY, elsewhere / HISTORY)
    os.symlink(elsewhere / HISTORY, work / HISTORY)
    os.chmod(elsewhere / HISTORY, 0o444)
    os.chmod(elsewhere, 0o555)
    try:
        before = snapshot(elsewhere), snapshot(work)
        shown = ruffus_luigi(work, "status", "--json", "p.py")
        assert shown.returncode == 0, shown.stderr
        assert all(t["up_to_date"] for t in json.loads(shown.stdout)["tasks"])
        assert (snapshot(elsewhere), snapshot(work)) == before
    finally:
        os.chmod(elsewhere, 0o755)


@pytest.mark.timeout(120)
@pytest.mark.held("status only looks", "state corruption")
def test_a_history_another_process_holds_locked_is_one_line_after_a_short_wait(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(SCRIPT)
    assert ruffus_luigi(tmp_path, "run", "p.py").returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         "time.sleep(600)\n", str(tmp_path / HISTORY)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for args in (["status", "p.py"], ["status"]):
            shown = ruffus_luigi(tmp_path, *args)  # (sqlite's backup alone would wait for ever)
            assert shown.returncode == 1 and shown.stdout == ""
            assert shown.stderr.startswith("ruffus-luigi: the job history %s cannot be used (database is locked)" % (tmp_path / HISTORY))
            assert "another process holds it locked" in shown.stderr and len(shown.stderr.splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
