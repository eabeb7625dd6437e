"""The ``drmaa`` back end as a plugin: registered through its entry point, loading its library
only when chosen, failing loudly without it, and the conformance kit on a real Grid Engine
(the one-host cluster of ruffus-luigi's tools/cluster/sge.sh, which must be installed)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from ruffus_luigi import hookspecs, plugins
from ruffus_luigi.testing.backend_conformance import BackendConformance

REPO = Path(__file__).resolve().parents[3]  # ruffus-luigi's source, for its test cluster
sys.path.insert(0, str(REPO / "tools" / "cluster"))
from clusters import Cluster, ClusterError, cluster  # noqa: E402


@pytest.fixture(scope="module")
def sge() -> Iterator[Cluster]:
    """The one-host Grid Engine, started if need be (shared with other users, see clusters.py)."""
    try:
        with cluster("sge") as running:
            yield running
    except ClusterError as e:
        pytest.fail(str(e), pytrace=False)


def python(code: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


@pytest.mark.timeout(60)
def test_registered_through_its_own_entry_point():
    names = {ep.name: (ep.value, ep.dist.name) for ep in entry_points(group=hookspecs.ENTRY_POINT_GROUP)}
    assert names["drmaa"] == ("ruffus_luigi_drmaa.plugin", "ruffus-luigi-drmaa")
    assert "drmaa" in plugins.backend_names()


@pytest.mark.timeout(60)
def test_registering_back_ends_does_not_import_drmaa():
    done = python(
        "import sys; from ruffus_luigi import plugins; plugins.backend_names(); print('drmaa' in sys.modules)",
        dict(os.environ),
    )
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.timeout(60)
def test_missing_drmaa_library_fails_loudly_naming_the_back_end():
    env = {k: v for k, v in os.environ.items() if k not in ("SGE_ROOT", "GLIBC_TUNABLES")}
    env["DRMAA_LIBRARY_PATH"] = "/nonexistent/libdrmaa.so"
    done = python(
        """
        from ruffus_luigi import plugins
        try:
            plugins.create_backend("drmaa")
        except Exception as e:
            print(type(e).__name__, e)
        """,
        env,
    )
    assert done.stdout.startswith("BackendUnavailable back end 'drmaa' cannot load the DRMAA library"), done
    assert "DRMAA_LIBRARY_PATH" in done.stdout


KIT = """
import pytest
from ruffus_luigi import plugins
from ruffus_luigi.testing.backend_conformance import BackendConformance


class TestDrmaaOnGridEngine(BackendConformance):
    timeout = 180.0

    @pytest.fixture
    def backend(self):
        backend = plugins.create_backend("drmaa")
        yield backend
        backend.close()
"""


@pytest.mark.timeout(900)
def test_conformance_kit_on_grid_engine(sge, tmp_path):
    """Every case of the kit, in a Python started with the cluster's environment (libdrmaa loads
    only in a process started with its GLIBC_TUNABLES, see tests/cluster/conftest.py)."""
    (tmp_path / "test_drmaa_kit.py").write_text(KIT)
    env = {k: v for k, v in sge.env.items() if not k.startswith("RUFFUS_LUIGI_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"),
         "test_drmaa_kit.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=850,
    )
    cases = sum(1 for name in dir(BackendConformance) if name.startswith("test_"))
    assert done.returncode == 0 and "%d passed" % cases in done.stdout, done.stdout + done.stderr
