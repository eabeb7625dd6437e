"""The file system fails under a run: a full disk (ENOSPC), a full history file system while
the outputs still fit, a file system remounted read-only mid-run, no inode for the lock file.

Real mounts (tmpfs, made and unmounted by path in a fixture: these tests need root and
mount(8), and FAIL saying so where they cannot mount), real runs of
tests/pipelines/scenarios/checkpoint_chain.py (``make s/s.start -> mid s/s.mid -> end s/s.end``
for s0..s2, then ``total total.txt``). Each case checks what a user sees: the run fails with
Ruffus' error naming the task and the job (or, before any job, one line naming the file), no
traceback through ruffus-luigi's insides, no complete output damaged, the history intact;
and once space is freed (or the file system is writable again) the next run does exactly
the jobs not done and ends byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "pipelines" / "scenarios" / "checkpoint_chain.py"
SAMPLES = ["s0", "s1", "s2"]
OUTPUT = {"total total.txt": "total.txt"}
for _s in SAMPLES:
    OUTPUT.update({"make %s.start" % _s: "%s/%s.start" % (_s, _s), "mid %s.mid" % _s: "%s/%s.mid" % (_s, _s),
                   "end %s.end" % _s: "%s/%s.end" % (_s, _s)})
ALL_JOBS = set(OUTPUT)
BOOKKEEPING = {SCRIPT.name, "jobs.log", "release", "filler", ".ruffus_history.sqlite"}
PAGE = 4096

held = pytest.mark.held("file system failures", "state corruption")


# -- mounts -----------------------------------------------------------------------------
def _mounted(point: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(point)]).returncode == 0


@pytest.fixture
def mounts():
    """``mount(point, options)`` makes a tmpfs there; every one is unmounted after the test, whatever happened."""
    made: list[Path] = []

    def mount(point: Path, options: str = "size=256k") -> Path:
        point.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True, text=True)
        assert done.returncode == 0, (
            "cannot mount a tmpfs at %s (these tests need root and mount(8)): %s" % (point, done.stderr.strip())
        )
        made.append(point)
        return point

    yield mount
    for point in reversed(made):
        if _mounted(point) and subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], check=False)
        assert not _mounted(point), "%s is still mounted" % point


def remount(point: Path, options: str) -> None:
    done = subprocess.run(["mount", "-o", "remount," + options, str(point)], capture_output=True, text=True)
    assert done.returncode == 0, "cannot remount %s %s: %s" % (point, options, done.stderr.strip())


def fill(point: Path, leave_pages: int = 0) -> None:
    """Fill the file system at ``point`` with ``point/filler``, leaving ``leave_pages`` pages free."""
    with open(point / "filler", "wb", buffering=0) as f:
        block = b"\0" * PAGE
        for _ in range(100_000):  # (bounded: a 256 KiB tmpfs takes 64)
            try:
                f.write(block)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break
        else:
            raise AssertionError("%s did not fill up" % point)
    size = (point / "filler").stat().st_size
    os.truncate(point / "filler", max(0, size - size % PAGE - leave_pages * PAGE))


# -- runs -------------------------------------------------------------------------------
def environment(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "LUIGI_CONFIG"))}
    env.pop("DEFAULT_RUFFUS_HISTORY_FILE", None)
    env.pop("HOLD", None)
    env.update(PYTHONPATH=str(REPO), RUFFUS_LUIGI_PROGRESS="0", **extra)
    return env


def start(workdir: Path, strategy: str, env: dict, jobs: int = 2) -> subprocess.Popen:
    if not (workdir / SCRIPT.name).exists():
        shutil.copy(SCRIPT, workdir / SCRIPT.name)
    return subprocess.Popen(
        [sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, strategy, str(jobs)],
        cwd=workdir, env=environment(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("the run did not end within %s s" % timeout) from None
    return proc.returncode, out


def run(workdir: Path, strategy: str, env: dict | None = None, jobs: int = 2) -> tuple[int, str, Counter]:
    """One whole run: exit code, output, the jobs it started."""
    before = len(log_lines(workdir))
    rc, out = finish(start(workdir, strategy, env or {}, jobs))
    return rc, out, Counter(job for event, job in log_lines(workdir)[before:] if event == "start")


def log_lines(workdir: Path) -> list[tuple[str, str]]:
    """(event, job) per line of jobs.log: ("start", "mid s1.mid")."""
    log = workdir / "jobs.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [(parts[0], "%s %s" % (parts[1], parts[2])) for parts in (line.split() for line in lines)]


def wait_half_written(workdir: Path, job: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while ("half", job) not in log_lines(workdir):
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("%s was never half-written: %s" % (job, proc.communicate()[0]))
        time.sleep(0.02)


def workdir_in(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for sample in SAMPLES:
        (path / sample).mkdir(exist_ok=True)
    return path


def snapshot(workdir: Path) -> dict[str, bytes]:
    """Every file a run leaves, by path (temporary files of ``atomic`` included), bookkeeping aside."""
    found = {}
    for root, dirs, files in os.walk(workdir):
        dirs[:] = [d for d in dirs if d != ".ruffus_luigi"]
        for name in files:
            path = os.path.relpath(os.path.join(root, name), workdir)
            if path not in BOOKKEEPING and not name.startswith(".ruffus_luigi.lock"):
                found[path] = Path(root, name).read_bytes()
    return found


_references: dict[str, dict[str, bytes]] = {}


def reference(strategy: str, factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What an uninterrupted run with ``strategy`` leaves."""
    if strategy not in _references:
        workdir = workdir_in(factory.mktemp("reference-" + strategy))
        rc, out, ran = run(workdir, strategy)
        assert rc == 0 and ran == Counter(ALL_JOBS), out
        _references[strategy] = snapshot(workdir)
    return _references[strategy]


def history_check(path: Path) -> set[str]:
    """The history is sound (sqlite's integrity check); the outputs it has records for."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {k for (k,) in con.execute("SELECT key FROM data")}
    finally:
        con.close()
    return {job for job, output in OUTPUT.items() if any(k.endswith(output) for k in keys)}


def downstream(jobs: set[str]) -> set[str]:
    """The jobs ``jobs`` make inputs for, transitively, with them."""
    found = set(jobs)
    for job in list(jobs):
        sample = OUTPUT[job].split("/")[0]
        step = job.split()[0]
        chain = ["make", "mid", "end"]
        if step in chain:
            found |= {"%s %s.%s" % (s, sample, {"make": "start", "mid": "mid", "end": "end"}[s])
                      for s in chain[chain.index(step):]}
        found.add("total total.txt")
    return found


def no_internal_traceback(out: str) -> None:
    """A plain I/O failure is reported without a traceback through ruffus-luigi's insides."""
    for module in ("checkpoints/atomic.py", "checkpoints/atomic_paths.py", "checkpoints/atomic_leftovers.py",
                   "backend_run.py", "pyjob.py", "workdir_lock.py", "history.py", "history_store.py",
                   "translate.py", "slots.py"):
        assert module not in out, "a traceback through %s:\n%s" % (module, out)


# -- 1. the history's file system fills up while the outputs still fit ---------------------
@held
@pytest.mark.timeout(300)
@pytest.mark.parametrize("strategy, jobs", [("history", 2), ("atomic", 2), ("history", 1)],
                         ids=["history-in-workers", "atomic-in-workers", "history-in-the-driver"])
def test_history_file_system_full_at_a_chunk_commit(strategy, jobs, tmp_path, tmp_path_factory, mounts):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path / "work")
    space = mounts(tmp_path / "history")
    env = {"DEFAULT_RUFFUS_HISTORY_FILE": str(space / "history.sqlite")}
    proc = start(workdir, strategy, {**env, "HOLD": "s1.mid"}, jobs)
    wait_half_written(workdir, "mid s1.mid", proc)
    fill(space)
    (workdir / "release").touch()
    rc, out = finish(proc)

    assert rc == 1, out
    assert "Luigi did not run this task" not in out
    assert "MissingInputFileError" not in out, "a job planned early must not wait for, nor blame, an input never made"
    assert "ruffus_luigi.HistoryNotWritten" in out and "Job  = [s1/s1.start -> s1/s1.mid]" in out, out
    assert "the job history %s cannot be used (database or disk is full)" % (space / "history.sqlite") in out
    assert "free space there" in out and "move it aside" not in out
    recorded = history_check(space / "history.sqlite")
    assert "mid s1.mid" not in recorded
    for job in recorded:  # a recorded output is whole
        assert (workdir / OUTPUT[job]).read_bytes() == expected[OUTPUT[job]], job

    (space / "filler").unlink()
    rc, out, ran = run(workdir, strategy, env, jobs)
    assert rc == 0, out
    assert ran == Counter(downstream(ALL_JOBS - recorded)), ran
    assert snapshot(workdir) == expected


@held
@pytest.mark.timeout(300)
def test_history_file_system_full_before_a_run(tmp_path, tmp_path_factory, mounts):
    """The whole working directory is full: the run stops before any job, in one line."""
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(mounts(tmp_path / "work"))
    rc, out, _ = run(workdir, "history")
    assert rc == 0, out
    (workdir / "total.txt").unlink()
    before = history_check(workdir / ".ruffus_history.sqlite")
    fill(workdir)
    rc, out, ran = run(workdir, "history")

    assert rc == 1 and not ran, out
    line = ("ruffus-luigi: the job history %s cannot be used (database or disk is full): its file system is full"
            % (workdir / ".ruffus_history.sqlite"))
    assert line in out and "Traceback" not in out and "move it aside" not in out, out
    assert history_check(workdir / ".ruffus_history.sqlite") == before

    (workdir / "filler").unlink()
    rc, out, ran = run(workdir, "history")
    assert rc == 0, out
    assert ran == Counter(["total total.txt"])
    assert snapshot(workdir) == expected


# -- 2. zero/remove-intermediates: freeing needs its records written first ---------------------
@held
@pytest.mark.timeout(300)
@pytest.mark.parametrize("strategy", ["zero-intermediates", "remove-intermediates"])
def test_freeing_intermediates_with_a_full_history(strategy, tmp_path, tmp_path_factory, mounts):
    whole = reference("history", tmp_path_factory)
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path / "work")
    space = mounts(tmp_path / "history")
    env = {"DEFAULT_RUFFUS_HISTORY_FILE": str(space / "history.sqlite")}
    rc, out, _ = run(workdir, "history", env)
    assert rc == 0, out
    fill(space)
    rc, out, ran = run(workdir, strategy, env)  # nothing to run: it only frees the intermediates

    assert rc == 1 and not ran, out
    assert "(database or disk is full): its file system is full" in out and "Traceback" not in out, out
    assert snapshot(workdir) == whole  # nothing freed without its record
    assert history_check(space / "history.sqlite") == ALL_JOBS

    (space / "filler").unlink()
    rc, out, ran = run(workdir, strategy, env)
    assert rc == 0 and not ran, out
    assert snapshot(workdir) == expected


# -- 3. atomic: no room for its temporary file (owner file, copy of the existing output) ------
@held
@pytest.mark.timeout(300)
@pytest.mark.parametrize("room", [0, 1], ids=["no-room-for-the-owner-file", "no-room-for-the-copy"])
def test_atomic_temporary_file_on_a_full_disk(room, tmp_path, tmp_path_factory, mounts):
    expected = reference("atomic", tmp_path_factory)
    workdir = workdir_in(mounts(tmp_path / "work"))
    env = {"DEFAULT_RUFFUS_HISTORY_FILE": str(tmp_path / "history.sqlite")}  # (the history still fits)
    rc, out, _ = run(workdir, "atomic", env)
    assert rc == 0, out
    later = time.time() + 5
    os.utime(workdir / "s1/s1.start", (later, later))  # mid s1.mid and what follows must run again
    before = snapshot(workdir)
    fill(workdir, leave_pages=room)
    rc, out, ran = run(workdir, "atomic", env)

    assert rc == 1, out
    assert ran == Counter(), "the job must not start: %s" % ran
    assert "Job  = [s1/s1.start -> s1/s1.mid]" in out, out
    assert "No space left on device (checkpoint 'atomic', before the job): 's1/s1.mid'" in out, out
    no_internal_traceback(out)
    assert snapshot(workdir) == before  # no output touched, no temporary file left

    (workdir / "filler").unlink()
    rc, out, ran = run(workdir, "atomic", env)
    assert rc == 0, out
    assert ran == Counter(["mid s1.mid", "end s1.end", "total total.txt"])
    assert snapshot(workdir) == expected


# -- 4. a cluster back end's job files (.ruffus_luigi) on a full disk -------------------------
@held
@pytest.mark.timeout(300)
def test_cluster_job_files_on_a_full_disk(tmp_path, tmp_path_factory, mounts):
    """The ``example`` back end runs jobs through the cluster contract: job files, exit codes."""
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(mounts(tmp_path / "work"))
    env = {"DEFAULT_RUFFUS_HISTORY_FILE": str(tmp_path / "history.sqlite"), "RUFFUS_LUIGI_BACKEND": "example"}
    proc = start(workdir, "history", {**env, "HOLD": "s1.mid"})
    wait_half_written(workdir, "mid s1.mid", proc)
    fill(workdir)
    (workdir / "release").touch()
    rc, out = finish(proc)

    assert rc == 1, out
    assert "Job  = [s1/s1.start -> s1/s1.mid]" in out, out
    no_internal_traceback(out)
    jobs_dir = str(workdir / ".ruffus_luigi")
    assert "No space left on device: '%s/" % jobs_dir in out or "whose file system is full" in out, out
    recorded = history_check(tmp_path / "history.sqlite")
    for job in recorded:
        assert (workdir / OUTPUT[job]).read_bytes() == expected[OUTPUT[job]], job

    (workdir / "filler").unlink()
    rc, out, ran = run(workdir, "history", env)
    assert rc == 0, out
    assert ran == Counter(downstream(ALL_JOBS - recorded)), ran
    assert snapshot(workdir) == expected


# -- 5. an output directory remounted read-only mid-run ------------------------------------
@held
@pytest.mark.timeout(300)
@pytest.mark.parametrize("strategy", ["history", "atomic"])
def test_output_file_system_remounted_read_only_mid_run(strategy, tmp_path, tmp_path_factory, mounts):
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path / "work")
    s1 = mounts(workdir / "s1", "size=1m")
    # one worker: while mid s0.mid is held nothing writes in s1 (a remount would be refused)
    proc = start(workdir, strategy, {"HOLD": "s0.mid"}, jobs=1)
    wait_half_written(workdir, "mid s0.mid", proc)
    remount(s1, "ro")
    (workdir / "release").touch()
    rc, out = finish(proc)

    assert rc == 1, out
    assert "Job  = [s1/s1.start -> s1/s1.mid]" in out and "Read-only file system: 's1/s1.mid'" in out, out
    no_internal_traceback(out)
    recorded = history_check(workdir / ".ruffus_history.sqlite")
    assert "make s1.start" in recorded and "mid s1.mid" not in recorded
    for job in recorded:
        assert (workdir / OUTPUT[job]).read_bytes() == expected[OUTPUT[job]], job

    remount(s1, "rw")
    rc, out, ran = run(workdir, strategy, jobs=1)
    assert rc == 0, out
    assert ran == Counter(downstream(ALL_JOBS - recorded)), ran
    assert snapshot(workdir) == expected


# -- 6. no inode left for the working directory's lock file --------------------------------
@held
@pytest.mark.timeout(300)
def test_no_inode_for_the_lock_file(tmp_path, tmp_path_factory, mounts):
    expected = reference("history", tmp_path_factory)
    workdir = mounts(tmp_path / "work", "size=1m,nr_inodes=32")
    env = {"DEFAULT_RUFFUS_HISTORY_FILE": str(tmp_path / "history.sqlite")}
    workdir_in(workdir)
    shutil.copy(SCRIPT, workdir / SCRIPT.name)
    fillers = []
    for i in range(64):
        try:
            (workdir / ("inode%d" % i)).touch()
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
            break
        fillers.append(workdir / ("inode%d" % i))
    else:
        raise AssertionError("the inodes did not run out")
    rc, out, ran = run(workdir, "history", env)

    assert rc == 1 and not ran, out
    assert out.strip().splitlines()[-1] == (
        "ruffus-luigi: cannot make the working directory's lock file %s (No space left on device): nothing was "
        "run; free space (or inodes) on its file system and run again" % (workdir / ".ruffus_luigi.lock")
    ), out
    no_internal_traceback(out)

    for path in fillers:
        path.unlink()
    rc, out, ran = run(workdir, "history", env)
    assert rc == 0 and ran == Counter(ALL_JOBS), out
    assert {k: v for k, v in snapshot(workdir).items() if not k.startswith("inode")} == expected


# -- 7. atomic cannot put an output in place: its directory made unwritable mid-job --------
# Root ignores file modes; without these capabilities a directory's mode holds for it too.
NO_DAC_OVERRIDE = ("setpriv", "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search")


@held
@pytest.mark.timeout(300)
@pytest.mark.parametrize("strategy", ["history", "atomic"])
def test_output_directory_made_unwritable_mid_job(strategy, tmp_path, tmp_path_factory):
    """Under ``history`` the job writing holds its file open and finishes; the next job of s1
    meets EACCES as under Ruffus. Under ``atomic`` the held job cannot rename its output into place."""
    expected = reference(strategy, tmp_path_factory)
    workdir = workdir_in(tmp_path / "work")
    shutil.copy(SCRIPT, workdir / SCRIPT.name)
    proc = subprocess.Popen(
        [*NO_DAC_OVERRIDE, sys.executable, "-m", "ruffus_luigi", "run", SCRIPT.name, strategy, "2"],
        cwd=workdir, env=environment({"HOLD": "s1.mid"}), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_half_written(workdir, "mid s1.mid", proc)  # (it writes in s1/.ruffus_luigi.tmp, which stays ours)
        (workdir / "s1").chmod(0o555)
        (workdir / "release").touch()
        rc, out = finish(proc)
    finally:
        (workdir / "s1").chmod(0o755)

    assert rc == 1, out
    no_internal_traceback(out)
    recorded = history_check(workdir / ".ruffus_history.sqlite")
    if strategy == "atomic":
        assert "Job  = [s1/s1.start -> s1/s1.mid]" in out, out
        assert ("task 'mid', output 's1/s1.mid': cannot be put in place (Permission denied); what the job wrote is "
                "kept in s1/.ruffus_luigi.tmp/") in out, out
        assert not (workdir / "s1/s1.mid").exists()  # never half there
        assert "mid s1.mid" not in recorded
    else:
        assert "Job  = [s1/s1.mid -> s1/s1.end]" in out and "Permission denied: 's1/s1.end'" in out, out
        assert "mid s1.mid" in recorded and "end s1.end" not in recorded
    for job in recorded:
        assert (workdir / OUTPUT[job]).read_bytes() == expected[OUTPUT[job]], job

    rc, out, ran = run(workdir, strategy)
    assert rc == 0, out
    assert ran == Counter(downstream(ALL_JOBS - recorded)), ran
    assert snapshot(workdir) == expected  # what the failed job kept is gone once it ran again


# -- 8. against real Ruffus 3.0.0: a job that fills the disk ---------------------------------
FILLS_THE_DISK = '''
from ruffus import originate, pipeline_run, suffix, transform

@originate(["full/a.txt", "b.txt"])
def make(output):
    with open(output, "w") as f:
        f.write("x" * 65536)

@transform(make, suffix(".txt"), ".out")
def copy(input_file, output):
    with open(input_file) as i, open(output, "w") as o:
        o.write(i.read())

if __name__ == "__main__":
    pipeline_run(verbose=1, multiprocess=2)
'''


def exception_lines(out: str) -> list[str]:
    """The lines of Ruffus' error that say what failed: the exception, the task, the job."""
    lines = [line.strip() for line in out.splitlines()]
    first = lines.index("Exception #1")
    return lines[first: first + 4]


def history_keys(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {k for (k,) in con.execute("SELECT key FROM data")}
    finally:
        con.close()


@held
@pytest.mark.timeout(300)
def test_a_job_filling_the_disk_is_reported_and_left_as_ruffus_does(tmp_path, mounts):
    results = {}
    for name, command in (("ruffus", [sys.executable, "script.py"]),
                          ("ruffus-luigi", [sys.executable, "-m", "ruffus_luigi", "run", "script.py"])):
        workdir = tmp_path / name
        workdir.mkdir()
        (workdir / "script.py").write_text(FILLS_THE_DISK)
        mounts(workdir / "full", "size=16k")
        env = environment({})
        if name == "ruffus":
            env.pop("PYTHONPATH")  # real Ruffus 3.0.0, installed as ``ruffus``
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stdout + done.stderr
        if name == "ruffus":
            assert "ruffus_luigi" not in done.stderr, "this was not real Ruffus"
        results[name] = (exception_lines(done.stderr), (workdir / "full/a.txt").stat().st_size,
                         {k for k in history_keys(workdir / ".ruffus_history.sqlite") if "a." in k})
    assert results["ruffus-luigi"] == results["ruffus"]
    assert results["ruffus"][0] == ["Exception #1", "'builtins.OSError([Errno 28] No space left on device)' raised in ...",
                                    "Task = def make(...):", "Job  = [None -> full/a.txt]"]
    assert results["ruffus"][2] == set()  # the half-written file has no record: the next run redoes it

    workdir = tmp_path / "ruffus-luigi"
    remount(workdir / "full", "size=1m")
    done = subprocess.run([sys.executable, "-m", "ruffus_luigi", "run", "script.py"], cwd=workdir,
                          env=environment({}), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (workdir / "full/a.txt").read_text() == (workdir / "full/a.out").read_text() == "x" * 65536


# -- 9. the run's temporary directory (TMPDIR) fills up: worker processes pass outcomes there --
@held
@pytest.mark.timeout(300)
def test_temporary_directory_full_mid_run(tmp_path, tmp_path_factory, mounts):
    expected = reference("history", tmp_path_factory)
    workdir = workdir_in(tmp_path / "work")
    temporary = mounts(tmp_path / "tmp", "size=64k")
    proc = start(workdir, "history", {"TMPDIR": str(temporary), "HOLD": "s1.mid"})
    wait_half_written(workdir, "mid s1.mid", proc)
    fill(temporary)
    (workdir / "release").touch()
    rc, out = finish(proc)

    assert rc == 1, out
    assert "the run's temporary directory %s is full" % temporary in out, out
    assert "Task = def " in out  # (the first task not finished: under load, 'make' may still have been running)
    no_internal_traceback(out)
    assert "EOFError" not in out and "run.py" not in out.split("Original exception")[-1], out
    recorded = history_check(workdir / ".ruffus_history.sqlite")
    for job in recorded:
        assert (workdir / OUTPUT[job]).read_bytes() == expected[OUTPUT[job]], job

    (temporary / "filler").unlink()
    rc, out, ran = run(workdir, "history", {"TMPDIR": str(temporary)})
    assert rc == 0, out
    assert ran == Counter(downstream(ALL_JOBS - recorded)), ran
    assert snapshot(workdir) == expected


# -- 10. zero-intermediates: the intermediates' file system read-only when they are freed -----
@held
@pytest.mark.timeout(300)
def test_intermediates_on_a_read_only_file_system_when_freed(tmp_path, tmp_path_factory, mounts):
    expected = reference("zero-intermediates", tmp_path_factory)
    whole = reference("history", tmp_path_factory)
    workdir = workdir_in(tmp_path / "work")
    s1 = mounts(workdir / "s1", "size=1m")
    proc = start(workdir, "zero-intermediates", {"HOLD": "total.txt"})
    wait_half_written(workdir, "total total.txt", proc)  # every file of s1 is written and closed
    remount(s1, "ro")
    (workdir / "release").touch()
    rc, out = finish(proc)

    assert rc == 0, out
    no_internal_traceback(out)
    for name in ("s1/s1.start", "s1/s1.mid", "s1/s1.end"):  # kept whole, and not recorded as freed
        assert (workdir / name).read_bytes() == whole[name], name
    con = sqlite3.connect(workdir / ".ruffus_history.sqlite")
    try:
        freed = {path for (path,) in con.execute("SELECT path FROM ruffus_luigi_intermediates")}
    finally:
        con.close()
    assert not {p for p in freed if "/s1/" in p}, freed

    remount(s1, "rw")
    rc, out, ran = run(workdir, "zero-intermediates")
    assert rc == 0 and not ran, out
    assert snapshot(workdir) == expected
