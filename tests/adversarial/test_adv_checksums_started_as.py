"""Level 2 and 3 checksums equal real Ruffus' however the script is started.

Ruffus 3.0.0 checksums a task function with ``marshal`` of its constants, which holds
the code of its comprehensions, lambdas, inner functions and generator expressions: that
code carries the script's file name as Python gave it (``p.py``, ``./p.py`` and an
absolute path differ) and marshal's flags for shared objects (which depend on what else
holds them). A directory run alternately by Ruffus and by ruffus-luigi, each started the
same way, must rerun nothing more than Ruffus would after itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIM = REPO / "ruffus_luigi" / "shim"

SCRIPT = textwrap.dedent(
    """
    import os
    from ruffus import *

    def log(name):
        with open("jobs.log", "a") as f:
            f.write(name + "\\n")

    @originate(["a.start", "b.start"])
    def make(output):
        log("make " + output)
        open(output, "w").write(",".join(str(n * n) for n in range(3)))  # generator expression

    @transform(make, suffix(".start"), ".comp", "extra", ("a tuple", 3), {"key": [1.5]})
    def comp(input_file, output, extra, pair, mapping):
        log("comp " + output)
        words = [w.upper() for w in open(input_file).read().split(",") if w]  # list comprehension
        squares = {k: v for k, v in enumerate(words)}  # dict comprehension
        unique = {len(w) for w in words}  # set comprehension
        open(output, "w").write(repr((squares, sorted(unique), extra, pair, mapping)))

    @transform(comp, suffix(".comp"), ".lam")
    def lam(input_file, output):
        log("lam " + output)
        key = lambda text_line_for_sorting: (len(text_line_for_sorting), text_line_for_sorting)
        open(output, "w").write(str(sorted(open(input_file).read().split(), key=key)))

    @transform(lam, suffix(".lam"), ".inner")
    def inner(input_file, output, suffix_text="!"):
        log("inner " + output)
        def shout(some_unique_text):
            return some_unique_text.upper() + suffix_text
        open(output, "w").write(shout(open(input_file).read()))

    @merge(inner, "all.gen")
    def gen(inputs, output):
        log("gen " + output)
        open(output, "w").write("".join(open(i).read() for i in sorted(inputs)))

    @transform(make, suffix(".start"), ".cls")
    def klass(input_file, output):
        log("klass " + output)
        class Holder:
            value_of_holder = 3
            def twice(self):
                return self.value_of_holder * 2
        open(output, "w").write(str(Holder().twice()))

    pipeline_run(verbose=0, checksum_level=int(os.environ["LEVEL"]))
    """
)

ALL_JOBS = 11


def ruffus_luigi_command() -> str:
    found = shutil.which("ruffus-luigi")
    assert found, "the ruffus-luigi command is not installed"
    return found


# how ruffus-luigi is started, and how real Ruffus is started the same way
MODES = {
    "ruffus-luigi run p.py": (lambda d: [ruffus_luigi_command(), "run", "p.py"], lambda d: [sys.executable, "p.py"]),
    "ruffus-luigi run ./p.py": (lambda d: [ruffus_luigi_command(), "run", "./p.py"], lambda d: ["./p.py"]),
    "ruffus-luigi run /abs/p.py": (
        lambda d: [ruffus_luigi_command(), "run", str(d / "p.py")],
        lambda d: [sys.executable, str(d / "p.py")],
    ),
    "python3 -m ruffus_luigi run p.py": (
        lambda d: [sys.executable, "-m", "ruffus_luigi", "run", "p.py"],
        lambda d: [sys.executable, "p.py"],
    ),
    "python3 p.py with the shim": (lambda d: [sys.executable, "p.py"], lambda d: [sys.executable, "p.py"]),
}


def run(workdir: Path, mode: str, level: int, ruffus_luigi: bool) -> list[str]:
    """Run the pipeline; the jobs it ran, sorted."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("DEFAULT_RUFFUS")}
    env["LEVEL"] = str(level)
    if ruffus_luigi:
        env["PYTHONPATH"] = (str(SHIM) + os.pathsep if mode.endswith("shim") else "") + str(REPO)
    cmd = MODES[mode][0 if ruffus_luigi else 1](workdir)
    log = workdir / "jobs.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return sorted(log.read_text().splitlines()[before:])


def workdir(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    script = d / "p.py"
    script.write_text("#!%s\n%s" % (sys.executable, SCRIPT))  # `./p.py` runs this interpreter
    script.chmod(0o755)
    return d


@pytest.mark.held("checksums: however started", "adversarial")
@pytest.mark.timeout(400)
@pytest.mark.parametrize("level", [2, 3])
@pytest.mark.parametrize("mode", list(MODES))
def test_alternating_with_ruffus_reruns_nothing(tmp_path, mode, level):
    # ruffus-luigi's records: Ruffus, started the same way, finds every job up to date
    ours = workdir(tmp_path, "ours")
    assert len(run(ours, mode, level, ruffus_luigi=True)) == ALL_JOBS
    assert run(ours, mode, level, ruffus_luigi=False) == []
    assert run(ours, mode, level, ruffus_luigi=True) == []

    # Ruffus' records: ruffus-luigi reruns what Ruffus reruns after itself, from the same state
    # in the same directory (the checksums hold the script's path)
    theirs = workdir(tmp_path, "theirs")
    assert len(run(theirs, mode, level, ruffus_luigi=False)) == ALL_JOBS
    saved = tmp_path / "saved"
    shutil.copytree(theirs, saved, copy_function=shutil.copy2)  # (file times kept)
    expected = run(theirs, mode, level, ruffus_luigi=False)
    shutil.rmtree(theirs)
    shutil.copytree(saved, theirs, copy_function=shutil.copy2)
    assert run(theirs, mode, level, ruffus_luigi=True) == expected
    # which is only the task holding a class: Ruffus records its checksum after the job, while
    # the class (a reference cycle) still holds its methods' code, and checks it before
    assert set(expected) <= {"klass a.cls", "klass b.cls"}
    assert run(theirs, mode, level, ruffus_luigi=False) == []
