"""File names a careful or hostile user can give, under every strategy, back end and scheduler.

One pipeline (``make`` originates one file per name, ``mid`` transforms each, ``total``
merges them) runs with names holding spaces, a newline, a tab, quotes, shell
metacharacters (``$(touch pwned)``, backticks, ``;``, ``|``), a leading ``-``, ``%`` and
``{}``, bytes that are not UTF-8 (``os.fsdecode(b"\\xff")``), a 255-byte base name and
names differing only in case. Each run must leave Ruffus 3.0.0's files and run Ruffus' jobs,
the second run must run nothing, an interrupted run must resume with only what was left,
and no ``pwned`` file may ever appear. Names ruffus-luigi keeps for its own bookkeeping are
refused as outputs with an error naming the task and the output.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
STRATEGIES = ["history", "atomic", "zero-intermediates", "remove-intermediates"]
NAMES = [
    b"a b.txt", b"nl\nx.txt", b"tab\tx.txt", b"q'\"x.txt", b"$(touch pwned).txt", b"`touch pwned`.txt",
    b"a;touch pwned.txt", b"a|touch pwned.txt", b"-lead.txt", b"pct%s%(x)s{}{0}.txt", b"x" * 251 + b".txt",
    b"Case.txt", b"case.txt", b"\xff.txt",  # the last one is held by the interruption test
]
HELD = NAMES[-1]

SCRIPT = r'''
import json, os, sys, time
from ruffus import *

NAMES = [os.fsdecode(bytes.fromhex(h)) for h in json.load(open("names.json"))]


def log(task, path):
    with open("jobs.log", "a") as f:
        f.write("%s %s\n" % (task, os.fsencode(os.path.basename(path)).hex()))


def write(path, text):
    with open(path, "w", errors="surrogateescape") as f:
        f.write(text)


@originate(NAMES)
def make(out):
    log("make", out)
    if os.path.exists("hold") and os.path.basename(out) == NAMES[-1]:
        for _ in range(6000):  # released by the test, or killed
            if os.path.exists("release"):
                break
            time.sleep(0.01)
    write(out, "made %r\n" % os.path.basename(out))


@transform(make, suffix(".txt"), ".mid")
def mid(inp, out):
    log("mid", out)
    write(out, open(inp, errors="surrogateescape").read() + "mid\n")


@merge(mid, "all.out")
def total(inputs, out):
    log("total", out)
    write(out, "".join(open(i, errors="surrogateescape").read() for i in sorted(inputs)))


if __name__ == "__main__":
    pipeline_run(multiprocess=2, verbose=int(os.environ.get("VERBOSE", "1")))
'''

ALL_JOBS = Counter(
    ["make " + n.hex() for n in NAMES] + ["mid " + n.replace(b".txt", b".mid").hex() for n in NAMES] + ["total " + b"all.out".hex()]
)


def prepare(workdir: Path, names: list[bytes] = NAMES) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "pipe.py").write_text(SCRIPT)
    (workdir / "names.json").write_text(json.dumps([n.hex() for n in names]))
    return workdir


def environment(impl: str, extra: dict | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_") and k != "PYTHONPATH"}
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


def start(impl: str, workdir: Path, extra: dict | None = None) -> subprocess.Popen:
    command = [PYTHON, "pipe.py"] if impl == "ruffus" else [PYTHON, "-m", "ruffus_luigi", "run", "pipe.py"]
    return subprocess.Popen(
        command, cwd=workdir, env=environment(impl, extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def run(impl: str, workdir: Path, extra: dict | None = None, timeout: float = 120) -> tuple[int, str, Counter]:
    """One run: exit code, output, and the jobs it started."""
    before = len(jobs_log(workdir))
    proc = start(impl, workdir, extra)
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, out.decode(errors="replace"), Counter(jobs_log(workdir)[before:])


def jobs_log(workdir: Path) -> list[str]:
    log = workdir / "jobs.log"
    return log.read_text().splitlines() if log.exists() else []


def recorded(workdir: Path) -> set[bytes]:
    """The outputs the job history has records of, as bytes (what a rerun will not redo)."""
    try:
        con = sqlite3.connect("file:%s?mode=ro" % (workdir / ".ruffus_history.sqlite"), uri=True, timeout=5)
    except sqlite3.Error:
        return set()
    try:
        con.text_factory = bytes
        return {k for (k,) in con.execute("SELECT key FROM data")}
    except sqlite3.Error:
        return set()
    finally:
        con.close()


def files(root: Path) -> dict[bytes, bytes | None]:
    """Every file (its bytes) and directory (None) under ``root`` by its name's bytes, but the
    script, the job log and ruffus-luigi's or Ruffus' own bookkeeping."""
    found: dict[bytes, bytes | None] = {}
    base = os.fsencode(root)
    for top, dirs, names in os.walk(base):
        dirs[:] = [d for d in dirs if not d.startswith(b".ruffus_luigi")]
        for name in dirs + names:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, base)
            if rel in (b"pipe.py", b"names.json", b"jobs.log", b"hold", b"release") or name.startswith(b".ruffus"):
                continue
            found[rel] = None if os.path.isdir(path) else open(path, "rb").read()
    return found


def assert_like_ruffus(got: dict, ruffus: dict, strategy: str) -> None:
    """The same files as Ruffus'; intermediates may be zeroed or removed by those strategies."""
    if strategy in ("history", "atomic"):
        assert got == ruffus
        return
    assert got[b"all.out"] == ruffus[b"all.out"]
    for name, content in ruffus.items():
        if strategy == "zero-intermediates":
            assert got.get(name) in (content, b""), name
        else:
            assert name not in got or got[name] == content, name
    assert set(got) <= set(ruffus)


def assert_no_command_ran(*dirs: Path) -> None:
    for d in dirs:
        assert not [p for p in d.rglob("pwned")], "a shell command was interpreted from a file name"
    assert not (REPO / "pwned").exists()


@pytest.fixture(scope="module")
def ruffus_files(tmp_path_factory) -> dict:
    """What real Ruffus 3.0.0 leaves (and the jobs it runs) with these names."""
    workdir = prepare(tmp_path_factory.mktemp("ruffus") / "work")
    rc, out, ran = run("ruffus", workdir)
    assert rc == 0, out
    assert ran == ALL_JOBS
    assert_no_command_ran(workdir)
    return files(workdir)


def check_runs(workdir: Path, strategy: str, ruffus_files: dict, extra: dict) -> None:
    extra = {"RUFFUS_LUIGI_CHECKPOINT": strategy, **extra}
    rc, out, ran = run("ruffus_luigi", workdir, extra)
    assert rc == 0, out
    assert ran == ALL_JOBS, out
    assert_like_ruffus(files(workdir), ruffus_files, strategy)
    rc, out, ran = run("ruffus_luigi", workdir, extra)
    assert rc == 0, out
    assert ran == Counter(), "a second run must run nothing"
    assert_like_ruffus(files(workdir), ruffus_files, strategy)
    assert_no_command_ran(workdir)


@pytest.mark.timeout(300)
@pytest.mark.held("odd file names", "bad input")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_odd_names_run_as_under_ruffus_and_rerun_nothing(tmp_path, ruffus_files, strategy):
    check_runs(prepare(tmp_path / "work"), strategy, ruffus_files, {})


@pytest.mark.timeout(300)
@pytest.mark.held("odd file names", "bad input")
@pytest.mark.parametrize("strategy", ["atomic", "zero-intermediates"])
def test_odd_names_through_the_example_back_ends_job_scripts(tmp_path, ruffus_files, strategy):
    check_runs(prepare(tmp_path / "work"), strategy, ruffus_files, {"RUFFUS_LUIGI_BACKEND": "example"})


@pytest.mark.timeout(300)
@pytest.mark.held("odd file names", "bad input")
@pytest.mark.parametrize("strategy", ["history", "remove-intermediates"])
def test_odd_names_as_luigid_task_parameters(tmp_path, ruffus_files, luigid, strategy):
    check_runs(prepare(tmp_path / "work"), strategy, ruffus_files, {"RUFFUS_LUIGI_SCHEDULER_URL": luigid.url})


@pytest.mark.timeout(300)
@pytest.mark.held("odd file names", "adversarial")
@pytest.mark.parametrize("strategy", ["atomic", "zero-intermediates"])
def test_an_interrupted_run_with_odd_names_resumes_with_what_was_left(tmp_path, ruffus_files, strategy):
    """Ctrl-C while the job of the name that is not UTF-8 writes; the rerun runs it and what follows only."""
    workdir = prepare(tmp_path / "work")
    (workdir / "hold").touch()
    extra = {"RUFFUS_LUIGI_CHECKPOINT": strategy}
    proc = start("ruffus_luigi", workdir, extra)
    try:
        held = "make " + HELD.hex()
        others = {n for n in NAMES if n != HELD} | {n.replace(b".txt", b".mid") for n in NAMES if n != HELD}
        deadline = time.monotonic() + 90
        while not (held in jobs_log(workdir) and others <= recorded(workdir)):  # the others done and recorded
            assert proc.poll() is None and time.monotonic() < deadline, (jobs_log(workdir), proc.stdout.read() if proc.poll() is not None else "")
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0
    (workdir / "hold").unlink()
    rc, out, ran = run("ruffus_luigi", workdir, extra)
    assert rc == 0, out
    assert ran == Counter([held, "mid " + HELD.replace(b".txt", b".mid").hex(), "total " + b"all.out".hex()]), out
    assert_like_ruffus(files(workdir), ruffus_files, strategy)
    assert_no_command_ran(workdir)


RESERVED = [".ruffus_history.sqlite", ".ruffus_luigi.lock", ".ruffus_luigi", ".ruffus_luigi.tmp", "sub/.ruffus_luigi.tmp/x"]


@pytest.mark.timeout(120)
@pytest.mark.held("odd file names", "bad input")
@pytest.mark.parametrize("name", RESERVED)
def test_an_output_named_like_ruffus_luigis_bookkeeping_is_refused_by_name(tmp_path, name):
    """Ruffus writes over its own history; ruffus-luigi refuses such an output, before its job, loses nothing."""
    workdir = prepare(tmp_path / "work", [b"ok.txt", name.encode()])
    (workdir / "sub" / ".ruffus_luigi.tmp").mkdir(parents=True)
    rc, out, ran = run("ruffus_luigi", workdir, {"RUFFUS_LUIGI_CHECKPOINT": "atomic"})
    assert rc != 0
    assert "task 'make': output %r is a name ruffus-luigi keeps for its own bookkeeping" % name in out, out
    assert "make " + name.encode().hex() not in ran, "the job writing it must not run"
    assert {"make " + b"ok.txt".hex(), "mid " + b"ok.mid".hex()} <= set(ran)
    assert (workdir / "ok.mid").read_text() == "made 'ok.txt'\nmid\n"
    path = workdir / name
    assert not path.is_file() or b"made" not in path.read_bytes()
    with sqlite3.connect(workdir / ".ruffus_history.sqlite") as con:  # the history is whole
        assert ("ok.mid",) in con.execute("SELECT key FROM data").fetchall()


@pytest.mark.timeout(120)
@pytest.mark.held("odd file names", "bad input")
def test_status_names_a_file_that_is_not_utf8_under_a_strict_utf8_terminal(tmp_path):
    workdir = prepare(tmp_path / "work", [b"\xff.txt"])
    rc, out, _ = run("ruffus_luigi", workdir, {"RUFFUS_LUIGI_CHECKPOINT": "zero-intermediates"})
    assert rc == 0, out
    strict = {**environment("ruffus_luigi"), "PYTHONIOENCODING": "utf-8:strict"}
    for args in (["status"], ["status", "-v", "pipe.py"]):
        done = subprocess.run([PYTHON, "-m", "ruffus_luigi", *args], cwd=workdir, env=strict, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        assert os.fsencode(workdir) + b"/\xff.mid" in done.stdout
    done = subprocess.run([PYTHON, "-m", "ruffus_luigi", "status", "--json", "-v", "pipe.py"], cwd=workdir, env=strict,
                          capture_output=True, timeout=60)
    assert done.returncode == 0
    paths = [f["path"] for f in json.loads(done.stdout)["freed"]["files"]]
    assert os.fsencode(workdir) + b"/\xff.mid" in [os.fsencode(p) for p in paths]


TASK_NAMED = r'''
from ruffus import Pipeline

def make(out):
    open(out, "w").write("made\n")

pipeline = Pipeline("odd")
pipeline.originate(task_func=make, output=["a.txt"], name="odd\ntouch pwned\n#")
pipeline.run(verbose=1)
'''


@pytest.mark.timeout(120)
@pytest.mark.held("odd file names", "adversarial")
def test_a_task_name_with_a_newline_starts_no_command_in_a_cluster_job_script(tmp_path):
    """The job script's comment names the task: a newline in the name must not end the comment."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "pipe.py").write_text(TASK_NAMED)
    rc, out, _ = run("ruffus_luigi", workdir, {"RUFFUS_LUIGI_BACKEND": "example"})
    assert rc == 0, out
    assert (workdir / "a.txt").read_text() == "made\n"
    assert_no_command_ran(workdir)


@pytest.mark.timeout(300)
@pytest.mark.held("odd file names", "bad input")
@pytest.mark.parametrize("backend", ["local", "example"])
def test_a_working_directory_named_with_bytes_metacharacters_and_percent(tmp_path, backend):
    """Job scripts, atomic's listed directories and the history hold the directory's name as bytes."""
    workdir = Path(os.fsdecode(os.fsencode(tmp_path) + b"/wd \xff $(touch pwned) 100%j"))
    prepare(workdir, [b"a.txt", b"b.txt"])
    extra = {"RUFFUS_LUIGI_BACKEND": backend, "RUFFUS_LUIGI_CHECKPOINT": "atomic"}
    rc, out, ran = run("ruffus_luigi", workdir, extra)
    assert rc == 0, out
    assert len(ran) == 5
    assert (workdir / "all.out").read_text() == "made 'a.txt'\nmid\nmade 'b.txt'\nmid\n"
    rc, out, ran = run("ruffus_luigi", workdir, extra)
    assert rc == 0 and ran == Counter(), out
    assert_no_command_ran(tmp_path)
