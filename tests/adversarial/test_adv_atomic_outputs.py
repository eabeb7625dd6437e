"""``atomic`` ends every job with the files it ends with under real Ruffus 3.0.0.

The same script runs in two directories, once with real Ruffus (plain python3, no shim)
and once with ruffus-luigi under ``RUFFUS_LUIGI_CHECKPOINT=atomic``, first from nothing,
then twice more with its jobs forced to rerun; after each run both directories must hold
the same entries, byte for byte (type, contents, permission bits, link targets). The
jobs are those whose output exists when they run again: appending to it, rewriting it in
``r+`` mode, reading it before writing it, adding to a directory output (also named with
a trailing slash, or holding another of the job's outputs), deleting it, writing through
a link or into a linked directory.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TMP_DIR = ".ruffus_luigi.tmp"

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from ruffus import originate, pipeline_run, suffix, transform

    def add_part(directory):
        os.makedirs(directory, exist_ok=True)
        n = len(os.listdir(directory))
        with open(os.path.join(directory, "part%d" % n), "w") as f:
            f.write("part %d\\n" % n)

    @originate(["in.txt"])
    def start(output):
        with open(output, "w") as f:
            f.write("input\\n")

    @transform(start, suffix(".txt"), ".log")
    def append(input_file, output):
        with open(output, "a") as f:
            f.write("appended line\\n")
            if os.environ.get("FAIL") == "append":
                f.flush()
                raise RuntimeError("append failed half-way")
            f.write("its second half\\n")

    @transform(start, suffix(".txt"), ".count")
    def count(input_file, output):
        with open(output, "r+" if os.path.exists(output) else "w+") as f:
            n = int(f.read() or 0)
            f.seek(0)
            f.write("%d\\n" % (n + 1))

    @transform(start, suffix(".txt"), ".double")
    def double(input_file, output):
        old = open(output).read() if os.path.exists(output) else "x"
        with open(output, "w") as f:
            f.write(old + old)

    @transform(start, suffix(".txt"), ".dir")
    def directory(input_file, output):
        add_part(output)

    @originate(["outdir/"])
    def slash(output):
        add_part(output)

    @originate([["bundle", "bundle/summary.txt"]])
    def bundle(outputs):
        os.makedirs(outputs[0], exist_ok=True)
        add_part(os.path.join(outputs[0], "parts"))
        with open(outputs[1], "a") as f:
            f.write("summary line\\n")

    @transform(start, suffix(".txt"), ".flip")
    def flip(input_file, output):
        if os.path.exists(output):
            os.unlink(output)
        else:
            with open(output, "w") as f:
                f.write("here\\n")

    @originate(["through_link.txt", "linked/in_linked_dir.txt"])
    def linked(output):
        with open(output, "a") as f:
            f.write("line\\n")

    if __name__ == "__main__":
        forced = sys.argv[1:] == ["rerun"]
        tasks = [append, count, double, directory, slash, bundle, flip, linked]
        pipeline_run(verbose=0, multiprocess=2, forcedtorun_tasks=tasks if forced else [])
    """
)


def prepare(workdir: Path) -> None:
    workdir.mkdir()
    (workdir / "pipeline.py").write_text(SCRIPT)
    (workdir / "real").mkdir()
    (workdir / "linked").symlink_to("real")
    (workdir / "real" / "target.txt").write_text("was here\n")
    (workdir / "through_link.txt").symlink_to("real/target.txt")


def run(workdir: Path, shim: bool, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_") and k != "PYTHONPATH"}
    if shim:
        base["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
        base["RUFFUS_LUIGI_CHECKPOINT"] = "atomic"
    return subprocess.run(
        [sys.executable, "pipeline.py", *args], cwd=workdir, env={**base, **(env or {})},
        capture_output=True, text=True, timeout=120,
    )


def snapshot(workdir: Path) -> dict[str, tuple]:
    """Every entry but the history and the script: what it is, its bytes or target, its permission bits."""
    found = {}
    for entry in sorted(workdir.rglob("*")):
        name = str(entry.relative_to(workdir))
        if name in (".ruffus_history.sqlite", "pipeline.py"):
            continue
        st = entry.lstat()
        if stat.S_ISLNK(st.st_mode):
            found[name] = ("link", os.readlink(entry))
        elif stat.S_ISDIR(st.st_mode):
            found[name] = ("dir", oct(stat.S_IMODE(st.st_mode)))
        else:
            found[name] = ("file", entry.read_bytes(), oct(stat.S_IMODE(st.st_mode)))
    return found


@pytest.mark.timeout(300)
@pytest.mark.held("atomic: appending and directory outputs", "state corruption")
def test_jobs_reading_appending_to_or_adding_to_their_outputs_end_as_under_ruffus(tmp_path):
    ruffus, atomic = tmp_path / "ruffus", tmp_path / "atomic"
    prepare(ruffus)
    prepare(atomic)
    for step, args in enumerate([(), ("rerun",), ("rerun",)]):
        expected = run(ruffus, False, *args)
        assert expected.returncode == 0, expected.stderr
        done = run(atomic, True, *args)
        assert done.returncode == 0, "run %d: %s" % (step, done.stderr)
        got = snapshot(atomic)
        assert not any(TMP_DIR in name for name in got), "temporary files were left behind"
        assert got == snapshot(ruffus), "run %d ended differently from Ruffus" % step
    assert (atomic / "in.log").read_text() == "appended line\nits second half\n" * 3
    assert (atomic / "in.count").read_text() == "3\n"
    assert sorted(os.listdir(atomic / "outdir")) == ["part0", "part1", "part2"]


@pytest.mark.timeout(300)
@pytest.mark.held("atomic: appending and directory outputs", "state corruption")
def test_an_appending_job_that_fails_leaves_its_earlier_output_whole_and_the_rerun_appends_to_it(tmp_path):
    prepare(tmp_path / "w")
    workdir = tmp_path / "w"
    assert run(workdir, True).returncode == 0
    failed = run(workdir, True, "rerun", env={"FAIL": "append"})
    assert failed.returncode != 0 and "append failed half-way" in failed.stderr
    assert (workdir / "in.log").read_text() == "appended line\nits second half\n", "the half append reached in.log"
    assert not list(workdir.rglob(TMP_DIR))
    assert run(workdir, True, "rerun").returncode == 0
    assert (workdir / "in.log").read_text() == "appended line\nits second half\n" * 2


TWO_TASKS = textwrap.dedent(
    """
    import time
    from ruffus import originate, pipeline_run

    @originate(["same.txt"])
    def first(output):
        time.sleep(0.5)
        with open(output, "w") as f:
            f.write("first")

    @originate(["same.txt"])
    def second(output):
        time.sleep(0.5)
        with open(output, "w") as f:
            f.write("second")

    pipeline_run(verbose=0, multiprocess=2)
    """
)


@pytest.mark.timeout(300)
@pytest.mark.held("atomic: two tasks, one output", "bad input")
def test_two_tasks_writing_one_output_at_once_run_as_under_ruffus(tmp_path):
    """Ruffus 3.0.0 says nothing and runs both: neither may fail on the other's temporary files."""
    ruffus, atomic = tmp_path / "ruffus", tmp_path / "atomic"
    for workdir in (ruffus, atomic):
        workdir.mkdir()
        (workdir / "pipeline.py").write_text(TWO_TASKS)
    expected = run(ruffus, False)
    assert (expected.returncode, expected.stdout, expected.stderr) == (0, "", "")
    for _ in range(2):  # the jobs overlap every time (each sleeps before writing)
        done = run(atomic, True)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), done.stderr
        assert (atomic / "same.txt").read_text() in ("first", "second"), "the output is not one job's whole output"
        assert not list(atomic.rglob(TMP_DIR))
        (atomic / "same.txt").unlink()


BACK_END = textwrap.dedent(
    """
    from ruffus_luigi import plugins
    from ruffus_luigi.backends.local import LocalBackend
    from ruffus_luigi.hookspecs import hookimpl

    class Procs:
        @hookimpl
        def ruffus_luigi_register_backends(self):
            return {"procs": lambda **options: LocalBackend()}

    plugins.register(Procs(), "procs-test")
    """
)


@pytest.mark.timeout(300)
@pytest.mark.held("atomic: two tasks, one output", "bad input")
def test_two_tasks_writing_one_output_through_a_back_end_keep_each_others_temporary_files(tmp_path):
    """A back end's jobs may outlive the process submitting them: still, one job's start must not take the other's files.

    The local back end registered under another name takes the cluster path (jobs run
    outside the process calling the hooks).
    """
    script = BACK_END + TWO_TASKS.replace("multiprocess=2)", "multiprocess=2, backend='procs')")
    (tmp_path / "pipeline.py").write_text(script)
    done = run(tmp_path, True)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert (tmp_path / "same.txt").read_text() in ("first", "second")
    assert not list(tmp_path.rglob(TMP_DIR))


BLOCKED = textwrap.dedent(
    """
    import os, sys
    from ruffus import originate, pipeline_run

    @originate(["x.out"])
    def make(output):
        with open(output, "w") as f:
            f.write("the job's output")
        if sys.argv[1:] == ["block"]:  # a directory takes the final name while the job runs
            os.makedirs("x.out/inside")

    pipeline_run(verbose=0)
    """
)


@pytest.mark.timeout(300)
@pytest.mark.held("atomic: appending and directory outputs", "state corruption")
def test_output_that_cannot_be_put_in_place_is_kept_and_the_error_says_where(tmp_path):
    (tmp_path / "pipeline.py").write_text(BLOCKED)
    done = run(tmp_path, True, "block")
    assert done.returncode != 0
    # one line in Ruffus' error, without a traceback through ruffus-luigi
    message = "UnsafeTemporaryPath(task 'make', output 'x.out': cannot be put in place (Is a directory); " \
              "what the job wrote is kept in "
    assert message in done.stderr and "atomic.py" not in done.stderr, done.stderr
    kept = Path(tmp_path, done.stderr.split(message)[1].split(")' raised in")[0])
    assert kept.read_text() == "the job's output"
    assert (tmp_path / "x.out" / "inside").is_dir(), "the directory in the way was touched"

    (tmp_path / "x.out" / "inside").rmdir()
    (tmp_path / "x.out").rmdir()
    done = run(tmp_path, True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.out").read_text() == "the job's output"
    assert not list(tmp_path.rglob(TMP_DIR)), "the kept file stayed after the job ran again"
