"""Job retries (``retry_count``, Luigi's meaning: attempts in all) on every way a job runs.

A job of ``up`` fails until it has been tried ``FAIL_TIMES`` times; each attempt appends a
line to ``attempts.log``, so the tests see exactly what ran, how often, and in which process.
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
    from ruffus import *

    if os.environ.get("PROCS"):  # jobs go the way a cluster's do: pickled, run by ruffus_luigi.cli.remote
        from ruffus_luigi import plugins
        from ruffus_luigi.hookspecs import hookimpl
        from ruffus_luigi.backends.local import LocalBackend

        class Procs:
            @hookimpl
            def ruffus_luigi_register_backends(self):
                return {"procs": lambda **options: LocalBackend()}

        plugins.register(Procs(), "procs-test")

    def attempt(name):
        with open("attempts.log", "a") as f:
            f.write(name + "\\n")
        with open("attempts.log") as f:
            return sum(1 for line in f if line == name + "\\n")

    @originate(["a.txt", "b.txt", "c.txt"])
    def make(out):
        attempt(out)
        open(out, "w").write(out)

    @transform(make, suffix(".txt"), ".up")
    def up(i, o):
        n = attempt(o)
        if i == "b.txt" and n <= int(os.environ.get("FAIL_TIMES", "0")):
            open(o, "w").write("half")  # a failed attempt may leave a partial output
            raise ValueError("b failed on attempt %d" % n)
        open(o, "w").write(open(i).read().upper())

    @merge(up, "all.txt")
    def combine(ins, out):
        attempt(out)
        open(out, "w").write("+".join(open(i).read() for i in ins))

    if __name__ == "__main__":
        mode = sys.argv[1]
        pipeline_run(multiprocess=2 if mode == "forked" else 1, multithread=2 if mode == "threads" else 0,
                     verbose=1, exceptions_terminate_immediately=mode == "terminate")
    """
)

MODES = ["in-process", "forked", "threads", "backend"]


def run(workdir: Path, mode: str, cfg: str = "", **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_") and k != "LUIGI_CONFIG_PATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    env["RUFFUS_LUIGI_RETRY_DELAY"] = "0.1"
    if mode == "backend":
        env.update(PROCS="1", RUFFUS_LUIGI_BACKEND="procs")
        mode = "forked"
    env.update(env_extra)
    (workdir / "pipeline.py").write_text(SCRIPT)
    if cfg:
        (workdir / "luigi.cfg").write_text(textwrap.dedent(cfg))
    return subprocess.run(
        [sys.executable, "pipeline.py", mode], cwd=workdir, env=env, capture_output=True, text=True, timeout=180
    )


def attempts(workdir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in (workdir / "attempts.log").read_text().splitlines():
        counts[line] = counts.get(line, 0) + 1
    return counts


@pytest.mark.parametrize("mode", MODES)
def test_a_job_that_fails_once_is_tried_again_and_the_run_succeeds(tmp_path, mode):
    done = run(tmp_path, mode, RUFFUS_LUIGI_RETRY_COUNT="3", FAIL_TIMES="1")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.txt").read_text() == "A.TXT+B.TXT+C.TXT"
    # only the failing job ran twice; its partial output of attempt 1 was replaced
    assert attempts(tmp_path) == {"a.txt": 1, "b.txt": 1, "c.txt": 1, "a.up": 1, "b.up": 2, "c.up": 1, "all.txt": 1}
    assert "attempt 1 of 3" in done.stderr and "b failed on attempt 1" in done.stderr
    assert "trying again" in done.stderr
    rerun = run(tmp_path, mode, RUFFUS_LUIGI_RETRY_COUNT="3")  # recorded as done: nothing reruns
    assert rerun.returncode == 0, rerun.stderr
    assert attempts(tmp_path)["b.up"] == 2 and "Task enters queue" not in rerun.stderr


@pytest.mark.parametrize("mode", MODES)
def test_a_job_failing_every_attempt_fails_the_run_after_retry_count_attempts(tmp_path, mode):
    done = run(tmp_path, mode, RUFFUS_LUIGI_RETRY_COUNT="3", FAIL_TIMES="99")
    assert done.returncode != 0
    assert "ValueError(b failed on attempt 3)" in done.stderr  # the last attempt's error
    counts = attempts(tmp_path)
    assert counts["b.up"] == 3 and counts["a.up"] == 1 and counts["c.up"] == 1
    assert "all.txt" not in counts and not (tmp_path / "all.txt").exists()


def test_without_retry_count_a_failure_is_final_as_in_ruffus(tmp_path):
    done = run(tmp_path, "forked", FAIL_TIMES="1")
    assert done.returncode != 0 and "ValueError(b failed on attempt 1)" in done.stderr
    assert attempts(tmp_path)["b.up"] == 1 and "trying again" not in done.stderr
    again = run(tmp_path, "forked", FAIL_TIMES="1")  # the next run does what is left
    assert again.returncode == 0, again.stderr
    assert attempts(tmp_path)["b.up"] == 2 and attempts(tmp_path)["a.up"] == 1


def test_retry_count_per_task_in_luigi_cfg(tmp_path):
    cfg = """
    [ruffus_luigi]
    retry_count = 1
    [ruffus_luigi.task.up]
    retry_count = 2
    """
    done = run(tmp_path, "forked", cfg, FAIL_TIMES="1")
    assert done.returncode == 0, done.stderr
    assert attempts(tmp_path)["b.up"] == 2


def test_exceptions_terminate_immediately_does_not_retry(tmp_path):
    done = run(tmp_path, "terminate", RUFFUS_LUIGI_RETRY_COUNT="3", FAIL_TIMES="1")
    assert done.returncode != 0 and attempts(tmp_path)["b.up"] == 1


@pytest.mark.parametrize("value", ["0", "two"])
def test_bad_retry_count_names_the_task_and_the_setting_before_any_job_runs(tmp_path, value):
    cfg = "[ruffus_luigi.task.up]\nretry_count = %s\n" % value
    done = run(tmp_path, "forked", cfg)
    assert done.returncode != 0
    assert "Ruffus task 'up': retry_count must be" in done.stderr and repr(value if value == "two" else 0) in done.stderr
    assert not (tmp_path / "attempts.log").exists()
