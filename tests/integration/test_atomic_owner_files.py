"""``atomic``'s owner files, as a job sees them: there when the job runs in the hooks' process, not for a back end's.

A run's start removes a killed job's temporary directory only if its owner file names a
process that has ended (tests/unit/test_atomic_leftovers.py). A job a back end runs in
another process (a cluster job, here the local back end registered under another name so
its jobs take the cluster path) may outlive the process calling the hooks: its directory
must have no owner file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from ruffus import originate, pipeline_run
    from ruffus_luigi import plugins
    from ruffus_luigi.hookspecs import hookimpl
    from ruffus_luigi.backends.local import LocalBackend

    class Procs:
        @hookimpl
        def ruffus_luigi_register_backends(self):
            return {"procs": lambda **options: LocalBackend()}

    plugins.register(Procs(), "procs-test")

    @originate(["d/a.txt"])
    def make(output):
        key_dir = os.path.dirname(output)
        with open(output, "w") as f:
            f.write("%s %s" % (os.path.basename(os.path.dirname(key_dir)), os.path.exists(key_dir + ".owner")))

    if __name__ == "__main__":
        os.makedirs("d", exist_ok=True)
        pipeline_run(checkpoint="atomic", backend=sys.argv[1], verbose=0)
    """
)


@pytest.mark.parametrize(("backend", "owned"), [("local", "True"), ("procs", "False")])
def test_owner_file_only_for_a_job_run_in_the_hooks_process(backend, owned, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    (tmp_path / "pipeline.py").write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, "pipeline.py", backend], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    where, owner_file = (tmp_path / "d" / "a.txt").read_text().split()
    assert where == ".ruffus_luigi.tmp", "the job did not write through atomic's temporary name"
    assert owner_file == owned
    assert not (tmp_path / "d" / ".ruffus_luigi.tmp").exists()
