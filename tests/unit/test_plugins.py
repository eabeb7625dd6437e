"""The plugin layer: entry points, lazy and loud back ends, routing, resources, pickling errors."""

from __future__ import annotations

import os

import pytest

from ruffus_luigi import hookspecs, plugins
from ruffus_luigi.backends.base import (
    BackendUnavailable,
    JobSpec,
    Resources,
    UnknownBackend,
    job_name,
)
from ruffus_luigi.backends.local import LocalBackend
from ruffus_luigi.execution import pyjob


def test_builtin_back_ends_come_from_entry_points():
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group=hookspecs.ENTRY_POINT_GROUP)}
    assert names["local"] == "ruffus_luigi.backends.local"
    assert names["drmaa"] == "ruffus_luigi_drmaa.plugin"  # a plugin of its own (plugins/ruffus-luigi-drmaa)
    assert {"local", "drmaa", "slurm"} <= set(plugins.backend_names())
    assert isinstance(plugins.create_backend("local"), LocalBackend)


def test_unknown_back_end_names_the_installed_ones():
    with pytest.raises(UnknownBackend, match="back end 'nope' is unknown .*; installed back ends: .*local"):
        plugins.create_backend("nope")


def test_a_third_party_plugin_registers_and_routes():
    class Plugin:
        @hookspecs.hookimpl
        def ruffus_luigi_register_backends(self):
            return {"elsewhere": lambda **options: LocalBackend()}

        @hookspecs.hookimpl
        def ruffus_luigi_route_job(self, task_name, job):
            return "elsewhere" if task_name == "big" else None

    plugin = Plugin()
    plugins.register(plugin, "third-party-test")
    try:
        assert "elsewhere" in plugins.backend_names()
        spec = JobSpec.in_dir("j", "/tmp", "/tmp", command="true")
        assert plugins.route("big", spec) == "elsewhere"
        assert plugins.route("small", spec) is None
    finally:
        plugins.unregister(plugin)
    assert "elsewhere" not in plugins.backend_names()


def test_two_plugins_claiming_one_name_is_an_error():
    class Clash:
        @hookspecs.hookimpl
        def ruffus_luigi_register_backends(self):
            return {"local": lambda **options: LocalBackend()}

    clash = Clash()
    plugins.register(clash, "clash-test")
    try:
        with pytest.raises(RuntimeError, match="back end 'local' is registered by two plugins"):
            plugins.backend_names()
    finally:
        plugins.unregister(clash)


def test_unavailable_back_end_is_never_replaced_by_local():
    class Broken:
        @hookspecs.hookimpl
        def ruffus_luigi_register_backends(self):
            def make(**options):
                raise BackendUnavailable("back end 'broken': no scheduler here")

            return {"broken": make}

    broken = Broken()
    plugins.register(broken, "broken-test")
    try:
        with pytest.raises(BackendUnavailable, match="'broken'"):
            plugins.create_backend("broken")
    finally:
        plugins.unregister(broken)


def test_resources_parse_and_validate():
    r = Resources.from_mapping({"memory": "1.5G", "threads": "4", "walltime": "1-02:03:04", "queue": "q"})
    assert (r.memory_mb(), r.threads, r.walltime_seconds(), r.walltime_hms()) == (1536, 4, 93784, "26:03:04")
    assert Resources(memory="500").memory_mb() == 500 and Resources(walltime="90").walltime_hms() == "0:01:30"
    with pytest.raises(ValueError, match="task x: unknown resource\\(s\\) mem"):
        Resources.from_mapping({"mem": "1G"}, "task x")
    with pytest.raises(ValueError, match="memory 'lots'"):
        Resources.from_mapping({"memory": "lots"})
    assert Resources(queue="a", threads=2).merged(Resources(threads=8)) == Resources(queue="a", threads=8)


def test_job_names_are_safe_for_schedulers():
    assert job_name("sub::my task", 3) == "sub_my_task.3"
    assert job_name("1st", 0) == "j1st.0"


def test_unpicklable_parameter_is_named(tmp_path):
    with pytest.raises(pyjob.UnpicklableJobError) as info:
        pyjob.pack(str(tmp_path / "j"), "align", "Job = [a -> b]", os.path.join, ("a", "b", lambda: 1), backend="slurm")
    message = str(info.value)
    assert message.startswith("Task 'align': parameter 2 (extras[0] = <function")
    assert "of Job = [a -> b] cannot be pickled to run on back end 'slurm'" in message


def test_unpicklable_function_is_named(tmp_path):
    def local_function(i, o):
        pass

    with pytest.raises(pyjob.UnpicklableJobError, match="Task 'make': the task function .*local_function"):
        pyjob.pack(str(tmp_path / "j"), "make", "Job = [a -> b]", local_function, ("a", "b"))


def test_packed_job_directory_is_private(tmp_path):
    packed = pyjob.pack(str(tmp_path / "j"), "t", "Job", os.path.join, ("a", "b"))
    assert os.stat(packed).st_mode & 0o777 == 0o700


def test_backend_chosen_by_keyword_environment_then_config(monkeypatch):
    from ruffus_luigi.settings import config

    monkeypatch.delenv("RUFFUS_LUIGI_BACKEND", raising=False)
    assert config.backend() == "local" and config.configured_backend() == ""
    monkeypatch.setenv("RUFFUS_LUIGI_BACKEND", "slurm")
    assert config.backend() == "slurm"
    assert config.backend("drmaa") == "drmaa"
