"""A script that changes directory when imported, run on the one-node Slurm by a relative path.

``ruffus-luigi run --backend slurm sub/pipeline.py``: each job's node loads the script
again; by a relative name after the script's ``os.chdir`` it found nothing and every job
failed with ``FileNotFoundError``. The outputs must be those of the same script under
Ruffus 3.0.0 (``python sub/pipeline.py``, no back end).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""\
    import json, os
    HERE = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(os.path.join(HERE, "work"), exist_ok=True)
    os.chdir(os.path.join(HERE, "work"))
    from ruffus import *

    @originate(["a.txt", "b.txt"])
    def make(o):
        with open(o, "w") as f:
            f.write("%s in %s\\n" % (o, os.path.relpath(os.getcwd(), HERE)))
        with open(o + ".where", "w") as f:
            json.dump({"slurm_job": os.environ.get("SLURM_JOB_ID")}, f)

    @transform(make, suffix(".txt"), ".up")
    def up(i, o):
        with open(o, "w") as f:
            f.write(open(i).read().upper())

    @merge(up, "all.txt")
    def gather(i, o):
        with open(o, "w") as f:
            f.write("".join(open(x).read() for x in i))

    pipeline_run(multiprocess=2, verbose=0)
""")


def _outputs(root: Path) -> dict[str, str]:
    work = root / "sub" / "work"
    return {p.name: p.read_text() for p in sorted(work.iterdir()) if p.suffix in (".txt", ".up")}


@pytest.mark.timeout(600)
def test_relative_script_that_changes_directory_runs_its_jobs_on_slurm(slurm, tmp_path: Path) -> None:
    runs = {}
    for impl in ("ruffus", "slurm"):
        root = tmp_path / impl
        (root / "sub").mkdir(parents=True)
        (root / "sub" / "pipeline.py").write_text(SCRIPT)
        env = {k: v for k, v in slurm.env.items() if not k.startswith("RUFFUS_LUIGI_") and k != "PYTHONPATH"}
        if impl == "ruffus":
            argv = [sys.executable, os.path.join("sub", "pipeline.py")]
        else:
            env["PYTHONPATH"] = str(REPO)
            argv = [sys.executable, "-m", "ruffus_luigi", "run", "--backend", "slurm", os.path.join("sub", "pipeline.py")]
        done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=500)
        assert done.returncode == 0, (impl, done.stdout + done.stderr)
        runs[impl] = _outputs(root)
    assert runs["slurm"] == runs["ruffus"]
    assert runs["slurm"]["all.txt"] == "A.TXT IN WORK\nB.TXT IN WORK\n"
    for name in ("a.txt", "b.txt"):  # each job ran as a Slurm job
        assert json.loads((tmp_path / "slurm" / "sub" / "work" / (name + ".where")).read_text())["slurm_job"]
