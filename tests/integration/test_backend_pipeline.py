"""A Ruffus script, unchanged, whose jobs run through a non-local back end (the dispatch path).

The back end is the local one registered under another name by a plugin object, so the
jobs go the way a cluster's do: pickled, run by ``python -m ruffus_luigi.cli.remote`` in
their own processes, watched by the dispatcher, outcomes and history brought back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from ruffus import *
    from ruffus_luigi import plugins
    from ruffus_luigi.hookspecs import hookimpl
    from ruffus_luigi.backends.local import LocalBackend

    class Procs:
        @hookimpl
        def ruffus_luigi_register_backends(self):
            return {"procs": lambda **options: LocalBackend()}

        @hookimpl
        def ruffus_luigi_job_finished(self, backend, job, job_id, result):
            with open("events.log", "a") as f:
                f.write("%s %s %s\\n" % (backend, job.name, result.state.value))

    plugins.register(Procs(), "procs-test")

    def record(what):
        with open("pids.log", "a") as f:
            f.write("%s %d\\n" % (what, os.getpid()))

    @originate(["a.txt", "b.txt"])
    def make(out):
        record(out)
        print("making", out)
        open(out, "w").write(out)

    extra = (lambda: 1) if os.environ.get("UNPICKLABLE") else "plain"

    @transform(make, suffix(".txt"), ".up", extra)
    def up(i, o, extra):
        record(o)
        if os.environ.get("FAIL_B") and i == "b.txt":
            raise ValueError("b is bad")
        open(o, "w").write(open(i).read().upper())

    @merge(up, "all.txt")
    def combine(ins, out):
        record(out)
        open(out, "w").write("+".join(open(i).read() for i in ins))

    if __name__ == "__main__":
        record("main")
        pipeline_run(multiprocess=int(sys.argv[1]), verbose=1)
    """
)


def run(workdir: Path, mp: int = 2, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    env["RUFFUS_LUIGI_BACKEND"] = "procs"
    env.update(env_extra)
    (workdir / "pipeline.py").write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, "pipeline.py", str(mp)], cwd=workdir, env=env, capture_output=True, text=True, timeout=180
    )


def pids(workdir: Path) -> dict[str, int]:
    return {w: int(p) for w, p in (line.split() for line in (workdir / "pids.log").read_text().splitlines())}


def test_jobs_run_through_the_back_end_in_their_own_processes(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.txt").read_text() == "A.TXT+B.TXT"
    seen = pids(tmp_path)
    assert len(set(seen.values())) == 6  # main + 5 jobs, each its own process
    events = sorted((tmp_path / "events.log").read_text().splitlines())
    assert events == sorted(
        ["procs make.0 succeeded", "procs make.1 succeeded", "procs up.0 succeeded", "procs up.1 succeeded",
         "procs combine.0 succeeded"]
    )
    assert "making a.txt" in done.stdout  # a job's output is shown as a worker's would be
    assert not (tmp_path / ".ruffus_luigi").exists() or not any((tmp_path / ".ruffus_luigi").iterdir())
    rerun = run(tmp_path)
    assert rerun.returncode == 0 and "Task enters queue" not in rerun.stderr  # the history knows the jobs


def test_failed_job_raises_ruffus_error_and_rerun_redoes_only_it(tmp_path):
    done = run(tmp_path, FAIL_B="1")
    assert done.returncode != 0
    assert "builtins.ValueError(b is bad)" in done.stderr
    assert "Job  = [b.txt -> b.up" in done.stderr
    assert (tmp_path / "a.up").exists() and not (tmp_path / "all.txt").exists()
    (tmp_path / "pids.log").unlink()
    again = run(tmp_path)
    assert again.returncode == 0, again.stderr
    assert set(pids(tmp_path)) == {"main", "b.up", "all.txt"}


def test_unpicklable_parameter_is_reported_with_task_and_parameter(tmp_path):
    done = run(tmp_path, UNPICKLABLE="1")
    assert done.returncode != 0
    assert "UnpicklableJobError" in done.stderr
    assert "Task 'up': parameter 2 (extras[0] = <function <lambda>" in done.stderr
    assert "cannot be pickled to run on back end 'procs'" in done.stderr
    assert not (tmp_path / "a.up").exists()


def test_unknown_back_end_fails_and_runs_nothing_locally(tmp_path):
    done = run(tmp_path, RUFFUS_LUIGI_BACKEND="no-such-backend")
    assert done.returncode != 0
    assert "back end 'no-such-backend' (chosen by RUFFUS_LUIGI_BACKEND" in done.stderr and " is unknown " in done.stderr
    assert "RethrownJobError" not in done.stderr  # stopped before any job, not blamed on one
    assert not (tmp_path / "a.txt").exists() and not (tmp_path / "b.txt").exists()


def test_unavailable_drmaa_fails_loudly_and_runs_nothing_locally(tmp_path):
    done = run(tmp_path, RUFFUS_LUIGI_BACKEND="drmaa", DRMAA_LIBRARY_PATH="/nonexistent/libdrmaa.so")
    assert done.returncode != 0
    assert "BackendUnavailable" in done.stderr and "back end 'drmaa' cannot load the DRMAA library" in done.stderr
    assert "RethrownJobError" not in done.stderr
    assert not (tmp_path / "a.txt").exists() and not (tmp_path / "b.txt").exists()
