"""``touch_files_only`` (``--touch_files_only``, ``--recreate_database``) with ``@mkdir``, as in Ruffus 3.0.0.

Ruffus' job wrappers decide what touching means: jobs with output files have them touched
(not at all with ``--recreate_database``), but ``@mkdir`` still makes its directories and
``@parallel`` and plain tasks still run. Before, ruffus-luigi reported "Make directories
... completed" without making them, and every job writing into them failed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compat_kit import IMPLEMENTATIONS, run, tree  # noqa: E402

SCRIPT = """\
from ruffus import *
from ruffus import cmdline

options = cmdline.get_argparse(description="touch").parse_args()
open("parallel.log", "a").close()
open("in.file", "a").close()

@mkdir("out/sub")
@originate(["out/sub/a.txt", "out/sub/b.txt"])
def make(o):
    open(o, "w").write("made\\n")

@mkdir(make, formatter(), "{path[0]}/deeper/{basename[0]}")
@transform(make, formatter(), "{path[0]}/deeper/{basename[0]}/x.out")
def tr(i, o):
    open(o, "w").write("tr\\n")

@posttask(touch_file("post.flag"))
@follows(mkdir("other", "other2/x"))
@split(tr, ["other/s1", "other/s2"])
def sp(i, o):
    for f in o:
        open(f, "w").write("s\\n")

@subdivide(sp, formatter(), "{path[0]}/{basename[0]}.*.part", "{path[0]}/{basename[0]}")
def sub(i, o, stem):
    open(stem + ".1.part", "w").write("p\\n")

@transform(sp, suffix(""), "")
def passthrough(i, o):
    pass

@merge(sp, "other2/x/all")
def gather(i, o):
    open(o, "w").write("m\\n")

@parallel([["p1", 1], ["p2", 2]])
def par(name, n):
    with open("parallel.log", "a") as f:
        f.write("%s %d\\n" % (name, n))

@follows(par, gather)
def plain():
    with open("parallel.log", "a") as f:
        f.write("plain\\n")

@follows(plain)
@files([["in.file", "files.out"]])
def fl(i, o):
    open(o, "w").write("files\\n")

cmdline.run(options)
"""


def _lines(text: str) -> list[str]:
    """Ruffus' messages, each once per line; independent branches interleave differently."""
    return sorted(re.sub(r"0x[0-9a-f]+", "0x", line) for line in text.splitlines() if line.strip())


def _tree(work: Path) -> dict[str, str | None]:
    """``tree``, with the @parallel jobs' lines of parallel.log sorted: with -j 3 they run at
    once (under Ruffus too), in either order; ``plain`` follows them and stays last."""
    found = tree(work)
    if found.get("parallel.log"):
        lines = found["parallel.log"].splitlines()
        found["parallel.log"] = "\n".join(sorted(lines[:-1]) + lines[-1:])
    return found


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "args", [["--touch_files_only"], ["--recreate_database"], ["--touch_files_only", "-j", "3"]], ids=" ".join
)
def test_touching_makes_mkdir_directories_as_ruffus(tmp_path: Path, args: list[str]) -> None:
    results = {}
    for impl in IMPLEMENTATIONS:
        work = tmp_path / "work"
        touched = run(impl, work, SCRIPT, *args, "-v", "3")
        after_touch = _tree(work)
        rerun = run(impl, work, SCRIPT, "-v", "3")  # then for real: what is left to do
        results[impl] = (touched.returncode, _lines(touched.stdout + touched.stderr), after_touch,
                         rerun.returncode, _lines(rerun.stdout + rerun.stderr), _tree(work))
        work.rename(tmp_path / impl)
    ref, ours = results["ruffus"], results["ruffus_luigi"]
    assert ref[0] == 0 and "out/sub/deeper/a" in ref[2]
    assert ours[2] == ref[2]  # directories made, files touched (or not), @parallel and plain tasks run
    assert ours[:2] == ref[:2]
    assert ours[3:] == ref[3:]

