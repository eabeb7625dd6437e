"""Typed back-end options (``backends.options``), one ``collect`` for back ends and strategies, ``JobResult`` public."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ruffus_luigi import hookspecs, plugins
from ruffus_luigi.backends import BackendUnavailable, JobResult, with_options
from ruffus_luigi.backends.local import LocalBackend
from ruffus_luigi.settings import config

REPO = Path(__file__).resolve().parents[2]


@dataclass
class QueueOptions:
    queue: str = field(default="short", metadata={"help": "where jobs go"})
    slots: int = 1
    poll_interval: float = 1.0
    exclusive: bool = False


built: list[dict] = []


@with_options(QueueOptions)
def make_queue(**options):
    built.append(options)
    return LocalBackend()


class QueuePlugin:
    @hookspecs.hookimpl
    def ruffus_luigi_register_backends(self):
        return {"queue": make_queue}


@pytest.fixture
def queue_backend(monkeypatch):
    """Back end ``queue`` registered, its luigi.cfg section given by ``section`` (a dict)."""
    section: dict[str, str] = {}
    monkeypatch.setattr(config, "backend_options", lambda name: dict(section) if name == "queue" else {})
    plugin = QueuePlugin()
    plugins.register(plugin, "queue-test")
    built.clear()
    try:
        yield section
    finally:
        plugins.unregister(plugin)


@pytest.mark.timeout(30)
def test_settings_reach_the_factory_as_the_declared_types(queue_backend):
    queue_backend.update(slots="4", poll_interval="0.5", exclusive="yes")
    plugins.create_backend("queue").close()
    assert built == [{"slots": 4, "poll_interval": 0.5, "exclusive": True}]


@pytest.mark.timeout(30)
def test_a_misspelt_key_names_the_back_end_the_key_the_section_and_the_options(queue_backend):
    queue_backend.update(slot="4")
    with pytest.raises(BackendUnavailable) as caught:
        plugins.create_backend("queue")
    assert str(caught.value) == (
        "back end 'queue': unknown option(s) 'slot' (in [ruffus_luigi.backend.queue]);"
        " its options: exclusive, poll_interval, queue, slots"
    )
    assert built == [], "the factory must not run with a wrong option"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "key, value, kind",
    [("slots", "four", "a whole number (int)"), ("poll_interval", "fast", "a number (float)"),
     ("exclusive", "maybe", "true or false (bool)")],
)
def test_a_value_of_the_wrong_kind_says_what_it_must_be(queue_backend, key, value, kind):
    queue_backend[key] = value
    with pytest.raises(BackendUnavailable) as caught:
        plugins.create_backend("queue")
    assert str(caught.value) == "back end 'queue': option %r (in [ruffus_luigi.backend.queue]) must be %s, not %r" % (
        key, kind, value)


@pytest.mark.timeout(30)
def test_options_given_in_the_call_are_checked_too_and_win(queue_backend):
    queue_backend.update(slots="2")
    plugins.create_backend("queue", slots=8).close()
    assert built == [{"slots": 8}]
    with pytest.raises(BackendUnavailable, match=r"unknown option\(s\) 'colour' \(in the call's arguments\)"):
        plugins.create_backend("queue", colour="red")


@pytest.mark.timeout(30)
def test_the_local_back_end_takes_no_options(monkeypatch):
    monkeypatch.setattr(config, "backend_options", lambda name: {"workers": "2"} if name == "local" else {})
    with pytest.raises(BackendUnavailable, match=r"back end 'local': unknown option\(s\) 'workers' .*its options: none"):
        plugins.create_backend("local")


@pytest.mark.timeout(30)
def test_two_plugins_registering_one_strategy_are_both_named():
    class Twice:
        @hookspecs.hookimpl
        def ruffus_luigi_register_checkpoints(self):
            return {"atomic": lambda: None}

    from ruffus_luigi import checkpoints

    twice = Twice()
    plugins.register(twice, "twice-test")
    try:
        with pytest.raises(RuntimeError, match=r"checkpoint strategy 'atomic' is registered by two plugins: .* and twice-test"):
            checkpoints.names()
    finally:
        plugins.unregister(twice)


def test_job_result_is_public_beside_job_spec():
    from ruffus_luigi.execution import dispatch

    assert dispatch.JobResult is JobResult
    assert "JobResult" in __import__("ruffus_luigi.backends", fromlist=["__all__"]).__all__


@pytest.mark.timeout(120)
def test_backends_options_lists_what_each_back_end_declares(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    done = subprocess.run([sys.executable, "-m", "ruffus_luigi", "backends", "--options"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    slurm = lines.index(next(line for line in lines if line.startswith("slurm ")))
    assert lines[slurm + 1 : slurm + 5] == [
        "    partition: str = ''  the partition of jobs that name no queue",
        "    account: str = ''  sbatch --account",
        "    sbatch_options: str = ''  appended to every sbatch, split like a shell line",
        "    poll_interval: float = 1.0  seconds between two squeue queries",
    ]
    local = lines.index(next(line for line in lines if line.startswith("local ")))
    assert lines[local + 1] == "    (none)"
