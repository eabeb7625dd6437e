"""``atomic`` in a shared sticky (1777) directory where another local user got there first.

The pipeline runs as root (the one with most to lose) and writes ``shared/out.txt``. Before
it, a second Unix user (made with ``useradd``, acting through ``setpriv``) puts something
where ``atomic`` would make its temporary files, or where the output goes: its own
``.ruffus_luigi.tmp`` holding links named after the (once predictable) key directory and
its owner file, a link to a directory of root's, a file, a FIFO, a link in the output's
place. Every time: a root-owned file elsewhere keeps its bytes, nothing is made in root's
directory, the other user's files are all still there, the job stops before running with
an error naming the task, the output and the foreign path, and nothing lands at the output.

A forged owner file (naming a process that has ended, as a stale leftover's does) in a
``.ruffus_luigi.tmp`` the history still lists must not make a run start delete the
other user's directory, nor follow a link to root's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from other_user_kit import as_other, second_user, tree

REPO = Path(__file__).resolve().parents[2]
TMP_DIR = ".ruffus_luigi.tmp"
PRECIOUS = b"root's precious data\n"

SCRIPT = textwrap.dedent(
    """
    import sys
    from ruffus import originate, pipeline_run

    @originate([sys.argv[1]])
    def make(output):
        with open(output, "w") as f:
            f.write("the job's output")

    pipeline_run(verbose=0, checkpoint="atomic")
    """
)


@pytest.fixture(scope="module")
def other_user() -> Iterator[tuple[int, int]]:
    """A second local user: (uid, gid)."""
    with second_user("rlatomic") as user:
        yield user


@pytest.fixture
def place(other_user: tuple[int, int]) -> Iterator[dict[str, Path]]:
    """base/ (0755) with work/ (root's, the run's directory), shared/ (1777) and root/precious.txt."""
    base = Path(tempfile.mkdtemp(prefix="rl-atomic-sec-"))  # not under pytest's 0700 tmp: the other user must get in
    try:
        base.chmod(0o755)
        (base / "work").mkdir()
        (base / "shared").mkdir()
        (base / "shared").chmod(0o1777)
        (base / "root").mkdir(mode=0o755)
        (base / "root" / "precious.txt").write_bytes(PRECIOUS)
        (base / "work" / "pipeline.py").write_text(SCRIPT)
        yield {"base": base, "work": base / "work", "shared": base / "shared", "root": base / "root"}
    finally:
        shutil.rmtree(base)


def run_pipeline(work: Path, output: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    return subprocess.run(
        [sys.executable, "pipeline.py", str(output)], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )


def old_key(path: Path) -> str:
    """The key directory name an attacker could compute before it was random."""
    return hashlib.md5(str(path).encode()).hexdigest()[:12]


# what the other user puts in shared/ first (sh run there; $K is the old key of out.txt, $R root's directory)
PLANTED = {
    "own .ruffus_luigi.tmp with links for the key directory and its owner file": (
        "mkdir -m 777 .ruffus_luigi.tmp; ln -s $R/precious.txt .ruffus_luigi.tmp/$K.owner; ln -s $R .ruffus_luigi.tmp/$K",
        TMP_DIR, "belongs to another user",
    ),
    "own .ruffus_luigi.tmp holding a key directory with a link as the output": (
        "mkdir -m 777 .ruffus_luigi.tmp .ruffus_luigi.tmp/$K; ln -s $R/precious.txt .ruffus_luigi.tmp/$K/out.txt",
        TMP_DIR, "belongs to another user",
    ),
    ".ruffus_luigi.tmp a link to root's directory": ("ln -s $R .ruffus_luigi.tmp", TMP_DIR, "is a symbolic link"),
    ".ruffus_luigi.tmp a file": ("echo theirs > .ruffus_luigi.tmp", TMP_DIR, "is not a directory"),
    ".ruffus_luigi.tmp a FIFO": ("mkfifo .ruffus_luigi.tmp", TMP_DIR, "is not a directory"),
    "the output a link to root's file": ("ln -s $R/precious.txt out.txt", "out.txt", "belongs to another user"),
    "the output a file of theirs": ("echo theirs > out.txt; chmod 666 out.txt", "out.txt", "belongs to another user"),
}


@pytest.mark.timeout(180)
@pytest.mark.held("atomic: foreign temporary paths", "adversarial")
@pytest.mark.parametrize("planted", list(PLANTED))
def test_another_users_objects_in_a_sticky_directory_stop_the_job_and_touch_nothing(planted, place, other_user):
    command, foreign, reason = PLANTED[planted]
    shared, output = place["shared"], place["shared"] / "out.txt"
    as_other(other_user, "K=%s R=%s; %s" % (old_key(output), place["root"], command), shared)
    theirs, roots = tree(shared), tree(place["root"])

    done = run_pipeline(place["work"], output)

    assert done.returncode != 0, "the job ran through another user's %s" % foreign
    assert (place["root"] / "precious.txt").read_bytes() == PRECIOUS
    assert tree(place["root"]) == roots, "something was made or removed in root's directory"
    assert tree(shared) == theirs, "the other user's files were changed"
    message = "UnsafeTemporaryPath: task 'make', output %r: %r %s" % (str(output), str(shared / foreign), reason)
    assert message in done.stderr, done.stderr


def dead_owner_line() -> str:
    """An owner file's text naming a process of this machine that has ended."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return "%s %s %s %d 1\n" % (socket.gethostname(), boot, os.readlink("/proc/self/ns/pid"), pid)


@pytest.mark.timeout(180)
@pytest.mark.held("atomic: foreign temporary paths", "adversarial")
def test_forged_owner_files_never_make_a_run_start_delete_anothers_files_or_follow_links(place, other_user):
    shared, output = place["shared"], place["shared"] / "out.txt"
    done = run_pipeline(place["work"], output)  # the history now lists shared/.ruffus_luigi.tmp
    assert done.returncode == 0, done.stderr
    assert output.read_text() == "the job's output"
    assert not (shared / TMP_DIR).exists()
    output.unlink()  # so that the next run has a job to do (and a run start)

    dead = dead_owner_line()
    as_other(other_user, textwrap.dedent(
        """
        mkdir -m 777 .ruffus_luigi.tmp .ruffus_luigi.tmp/k1 && echo data > .ruffus_luigi.tmp/k1/theirs
        printf '%s' > .ruffus_luigi.tmp/k1.owner
        printf '%s' > .ruffus_luigi.tmp/owner-only.owner
        ln -s %s .ruffus_luigi.tmp/k2 && ln -s %s/precious.txt .ruffus_luigi.tmp/k2.owner
        """ % (dead, dead, place["root"], place["root"])
    ), shared)
    theirs, roots = tree(shared), tree(place["root"])

    done = run_pipeline(place["work"], output)

    assert tree(shared) == theirs, "a run start removed or changed the other user's files"
    assert tree(place["root"]) == roots and (place["root"] / "precious.txt").read_bytes() == PRECIOUS
    assert done.returncode != 0 and "belongs to another user" in done.stderr, done.stderr
    assert not output.exists()


@pytest.mark.timeout(180)
@pytest.mark.held("atomic: foreign temporary paths", "adversarial")
def test_links_planted_in_a_world_writable_temporary_directory_of_ours_are_neither_followed_nor_removed(
    place, other_user
):
    """Root's own .ruffus_luigi.tmp left writable to all (a umask of 0): the other user's links in it stay unused."""
    shared, output = place["shared"], place["shared"] / "out.txt"
    (shared / TMP_DIR).mkdir()
    (shared / TMP_DIR).chmod(0o777)
    key = old_key(output)
    as_other(other_user, "ln -s %s/precious.txt %s.owner; ln -s %s %s; ln -s %s %s.0123456789ab"
             % (place["root"], key, place["root"], key, place["root"], key), shared / TMP_DIR)
    planted, roots = tree(shared / TMP_DIR), tree(place["root"])

    done = run_pipeline(place["work"], output)

    assert done.returncode == 0, done.stderr
    assert output.read_text() == "the job's output"
    assert (place["root"] / "precious.txt").read_bytes() == PRECIOUS
    assert tree(place["root"]) == roots
    assert tree(shared / TMP_DIR) == planted, "the other user's links were removed or changed"
    assert (shared / TMP_DIR).stat().st_mode & 0o777 == 0o700, "others may still write in it"
