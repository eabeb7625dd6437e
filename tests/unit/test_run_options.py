"""A run's options: resolved once, frozen, each value saying where it came from."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ruffus_luigi.execution.options import RunOptions

REPO = Path(__file__).resolve().parents[2]

SHOW = textwrap.dedent(
    """
    from ruffus_luigi.execution.options import RunOptions
    o = RunOptions.resolve(multiprocess=3)
    for name in ("multiprocess", "jobs_per_luigi_task", "backend", "retry_delay", "progress"):
        print(name, getattr(o, name), "|", o.sources[name])
    print("scheduler", o.scheduler.shared, "|", o.sources["scheduler"])
    """
)


@pytest.mark.timeout(60)
def test_each_setting_says_whether_a_keyword_the_environment_luigi_cfg_or_the_default_set_it(tmp_path):
    (tmp_path / "luigi.cfg").write_text("[ruffus_luigi]\nbackend = local\nretry_delay = 0.5\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUFFUS_LUIGI_", "LUIGI_CONFIG"))}
    env.update(PYTHONPATH=str(REPO), RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK="7")
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=50)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "multiprocess 3 | pipeline_run(multiprocess=...)",
        "jobs_per_luigi_task 7 | environment variable RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK",
        "backend local | luigi.cfg [ruffus_luigi] backend",
        "retry_delay 0.5 | luigi.cfg [ruffus_luigi] retry_delay",
        "progress auto | default",
        "scheduler False | default (Luigi's local scheduler)",
    ]


@pytest.mark.timeout(30)
def test_options_are_frozen_and_multithread_means_one_worker_process(monkeypatch):
    monkeypatch.delenv("RUFFUS_LUIGI_SCHEDULER_HOST", raising=False)
    options = RunOptions.resolve(multiprocess=4, multithread=3, jobs_per_luigi_task=5, scheduler_host="127.0.0.1")
    assert (options.multiprocess, options.multithread, options.jobs_per_luigi_task) == (1, 3, 5)
    assert options.sources["multiprocess"] == "pipeline_run(multithread=...)"
    assert options.sources["jobs_per_luigi_task"] == "pipeline_run(jobs_per_luigi_task=...)"
    assert options.scheduler.shared and options.scheduler.address == "http://127.0.0.1:8082/"
    with pytest.raises(AttributeError):
        options.multiprocess = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        options.sources["multiprocess"] = "elsewhere"  # type: ignore[index]


@pytest.mark.timeout(30)
def test_an_unknown_pool_manager_is_refused_as_ruffus_refuses_it():
    with pytest.raises(ValueError, match="unknown pool manager 'threads'"):
        RunOptions.resolve(pool_manager="threads")
