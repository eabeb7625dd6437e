"""A script that changes directory when imported, started by a relative path.

``ruffus-luigi run sub/pipeline.py`` must give the script what ``python sub/pipeline.py``
gives it (an absolute ``__file__``), and each job that runs in another process loads the
script again by that absolute path: after the script's ``os.chdir`` a relative one names
nothing (every job failed with ``FileNotFoundError``). The example back end runs each job
as a process of its own that loads the script, as a cluster node does
(``tests/cluster/test_compat_chdir_on_slurm.py`` runs it on Slurm).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_kit import command, environment  # noqa: E402

SCRIPT = textwrap.dedent("""\
    import os, sys
    HERE = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(os.path.join(HERE, "work"), exist_ok=True)
    os.chdir(os.path.join(HERE, "work"))
    from ruffus import *

    @originate(["a.txt", "b.txt"])
    def make(o):
        with open(o, "w") as f:
            f.write("%s in %s\\n" % (o, os.path.relpath(os.getcwd(), HERE)))

    @transform(make, suffix(".txt"), ".up")
    def up(i, o):
        with open(o, "w") as f:
            f.write(open(i).read().upper())

    @merge(up, "all.txt")
    def gather(i, o):
        with open(o, "w") as f:
            f.write("".join(open(x).read() for x in i))

    if __name__ == "__main__":
        with open("main.txt", "w") as f:  # what `python sub/pipeline.py` gives the script
            f.write("__file__ absolute: %s\\nargv: %s\\n" % (os.path.isabs(__file__), sys.argv))
        pipeline_run(multiprocess=2, verbose=0, **({"backend": sys.argv[1]} if len(sys.argv) > 1 else {}))
""")


def _run(impl: str, root: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "pipeline.py").write_text(SCRIPT)
    done = subprocess.run(command(impl, os.path.join("sub", "pipeline.py"), *args), cwd=root,
                          env=environment(impl), capture_output=True, text=True, timeout=200)
    work = root / "sub" / "work"
    return done, {p.name: p.read_text() for p in sorted(work.glob("*.txt"))} | {p.name: p.read_text() for p in sorted(work.glob("*.up"))}


@pytest.mark.timeout(240)
def test_script_sees_what_python_gives_it(tmp_path: Path) -> None:
    ref, ref_files = _run("ruffus", tmp_path / "ruffus")
    ours, our_files = _run("ruffus_luigi", tmp_path / "ruffus_luigi")
    assert ref.returncode == 0 and ours.returncode == 0, ours.stderr
    assert "__file__ absolute: True" in ref_files["main.txt"]
    assert our_files == ref_files


@pytest.mark.timeout(240)
def test_jobs_in_processes_of_their_own_load_the_script_after_its_chdir(tmp_path: Path) -> None:
    _, ref_files = _run("ruffus", tmp_path / "ruffus")
    ours, our_files = _run("ruffus_luigi", tmp_path / "ruffus_luigi", "example")
    assert ours.returncode == 0, ours.stderr
    assert "FileNotFoundError" not in ours.stderr
    assert our_files["all.txt"] == ref_files["all.txt"] == "A.TXT IN WORK\nB.TXT IN WORK\n"
