"""Cluster jobs' files (``.ruffus_luigi/``) in a shared sticky (1777) directory where another user got there first.

A run with a non-local back end packs each job (its function and parameters, pickled, and
the ``sys.path`` and script the node loads) into ``.ruffus_luigi/<run id>/`` and reads the
job's pickled result back: whoever can swap those files runs code as the run's user. The
run works as root in a 1777 directory; before it, a second Unix user (``useradd``, acting
through ``setpriv``) puts something at ``.ruffus_luigi``: a world-writable directory of
theirs, a link to one, a link to a directory of root's, a file, a FIFO. Every time the run
stops before any job with one message naming the path and what is wrong, makes nothing in
the other user's directory or in root's, and produces no output.

The record of cluster jobs earlier runs left (``.ruffus_luigi/submitted/``) is read only
from a folder of the user's own: a forged record in another user's ``.ruffus_luigi``
naming the user's other jobs must not make a run cancel them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from other_user_kit import as_other, second_user, tree

REPO = Path(__file__).resolve().parents[2]
ROOT_DIR = ".ruffus_luigi"

SCRIPT = textwrap.dedent(
    """
    from ruffus import originate, pipeline_run

    @originate(["out.txt"])
    def make(output):
        with open(output, "w") as f:
            f.write("the job's output")

    if __name__ == "__main__":
        pipeline_run(verbose=0, backend="example")
    """
)


@pytest.fixture(scope="module")
def other_user() -> Iterator[tuple[int, int]]:
    """A second local user: (uid, gid)."""
    with second_user("rlpriv") as user:
        yield user


@pytest.fixture
def place() -> Iterator[dict[str, Path]]:
    """base/ (0755) with shared/ (1777, the run's directory, holding the script) and root/ (root's, 0755)."""
    base = Path(tempfile.mkdtemp(prefix="rl-private-"))  # not under pytest's 0700 tmp: the other user must get in
    try:
        base.chmod(0o755)
        (base / "shared").mkdir()
        (base / "shared").chmod(0o1777)
        (base / "root").mkdir(mode=0o755)
        (base / "root" / "kept.txt").write_text("root's file\n")
        (base / "shared" / "pipeline.py").write_text(SCRIPT)
        yield {"shared": base / "shared", "root": base / "root"}
    finally:
        shutil.rmtree(base)


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    return env


def tree_here(path: Path) -> dict[str, tuple[int, str]]:
    """Every entry under ``path`` but the run's own bookkeeping: owner and what it is."""
    return tree(path, skip=(".ruffus_history", ".ruffus_luigi.lock"))


# what the other user puts in shared/ first (sh run there; $R is root's directory)
PLANTED = {
    "a world-writable directory of theirs": ("mkdir -m 777 .ruffus_luigi", "belongs to another user (uid $U)"),
    "a link to a directory of theirs": ("mkdir -m 777 theirs; ln -s theirs .ruffus_luigi", "is a symbolic link"),
    "a link to a directory of root's": ("ln -s $R .ruffus_luigi", "is a symbolic link"),
    "a file": ("echo theirs > .ruffus_luigi", "is not a directory"),
    "a FIFO": ("mkfifo .ruffus_luigi", "is not a directory"),
}


@pytest.mark.timeout(180)
@pytest.mark.held("cluster job files: another user's directory", "adversarial")
@pytest.mark.parametrize("planted", list(PLANTED))
@pytest.mark.parametrize("how", ["script", "ruffus-luigi run"])
def test_another_users_ruffus_luigi_directory_stops_the_run_before_any_job(planted, how, place, other_user):
    command, reason = PLANTED[planted]
    shared = place["shared"]
    as_other(other_user, "R=%s; %s" % (place["root"], command), shared)
    reason = reason.replace("$U", str(other_user[0]))
    theirs, roots = tree_here(shared), tree_here(place["root"])

    args = ["pipeline.py"] if how == "script" else ["-m", "ruffus_luigi", "run", "pipeline.py"]
    done = subprocess.run(
        [sys.executable, *args], cwd=shared, env=environment(), capture_output=True, text=True, timeout=120
    )

    assert done.returncode != 0, "the run used another user's %s" % planted
    message = "%s %s: ruffus-luigi keeps cluster jobs' files there and will not use it" % (shared / ROOT_DIR, reason)
    assert message in done.stderr, done.stderr
    if how == "ruffus-luigi run":  # a setting of the place, not a bug: one line, no traceback
        assert "Traceback" not in done.stderr, done.stderr
    assert not (shared / "out.txt").exists(), "a job ran"
    assert tree_here(shared) == theirs, "something was made in, or removed from, the other user's files"
    assert tree_here(place["root"]) == roots, "something was made or removed in root's directory"


FORGED_RECORD_CHECK = textwrap.dedent(
    """
    import os, sys
    from ruffus_luigi import plugins
    from ruffus_luigi.execution import submitted_jobs
    from ruffus_luigi.backends.base import Backend, JobState
    from ruffus_luigi.hookspecs import hookimpl

    CANCELLED = sys.argv[1]

    class Recorder(Backend):
        def submit(self, specs):
            return []

        def poll(self, ids):
            return {i: JobState.RUNNING for i in ids}

        def cancel(self, ids):
            with open(CANCELLED, "a") as f:
                f.write(" ".join(ids) + "\\n")

    class Plugin:
        @hookimpl
        def ruffus_luigi_register_backends(self):
            return {"recorder": lambda **options: Recorder()}

    plugins.register(Plugin(), "recorder")
    submitted_jobs.CANCEL_WAIT = 1
    submitted_jobs.start(os.getcwd(), exclusive=True)
    """
)


@pytest.mark.timeout(120)
@pytest.mark.held("cluster job files: another user's directory", "adversarial")
def test_a_forged_record_of_cluster_jobs_in_another_users_directory_cancels_nothing(place, other_user, tmp_path):
    shared = place["shared"]
    as_other(other_user, "mkdir -m 777 .ruffus_luigi .ruffus_luigi/submitted; "
             "echo '+ recorder 4242' > .ruffus_luigi/submitted/1-forged", shared)
    theirs = tree_here(shared)
    cancelled = tmp_path / "cancelled.txt"
    (shared / "check.py").write_text(FORGED_RECORD_CHECK)

    done = subprocess.run(
        [sys.executable, "check.py", str(cancelled)], cwd=shared, env=environment(),
        capture_output=True, text=True, timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert not cancelled.exists(), "a record another user wrote made the run cancel job(s) %s" % cancelled.read_text()
    assert "the record of cluster jobs left by earlier runs is ignored" in done.stderr, done.stderr
    assert "belongs to another user" in done.stderr, done.stderr
    (shared / "check.py").unlink()
    assert tree_here(shared) == theirs


@pytest.mark.timeout(180)
@pytest.mark.held("cluster job files: another user's directory", "adversarial")
def test_a_run_of_ours_keeps_its_directory_private_and_runs(place):
    """Root's own .ruffus_luigi left writable to all (a umask of 0, a chmod): made private, and the run goes on."""
    shared = place["shared"]
    (shared / ROOT_DIR).mkdir()
    (shared / ROOT_DIR).chmod(0o777)
    (shared / ROOT_DIR / "kept").write_text("so that the directory stays\n")

    done = subprocess.run(
        [sys.executable, "pipeline.py"], cwd=shared, env=environment(), capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert (shared / "out.txt").read_text() == "the job's output"
    assert (shared / ROOT_DIR).stat().st_mode & 0o777 == 0o700, "others may still swap the jobs' files"
