"""Real clusters for tests of cluster back ends: a one-host Grid Engine and a one-node Slurm.

Two session-scoped fixtures, ``sge`` and ``slurm``, and ``cluster``: each of them in turn (a
test taking it runs once per cluster). Each makes sure its cluster runs (through
``tools/cluster/sge.sh`` / ``tools/cluster/slurm.sh``, see docs/clusters.md) and yields a
:class:`Cluster`::

    def test_my_backend(sge, tmp_path):
        # every process that talks to the cluster gets sge.env
        subprocess.run(["ruffus-luigi", "run", "pipeline.py"], env=sge.env, cwd=tmp_path)
        sge.run(["qstat", "-f"])          # = subprocess.run(..., env=sge.env, text output)

``Cluster`` attributes:

``name``
    ``"sge"`` or ``"slurm"``.
``vars``
    Only the cluster's own variables (what ``tools/cluster/<name>.sh env`` prints):

    - sge: ``SGE_ROOT``, ``SGE_CELL``, ``SGE_QMASTER_PORT``, ``SGE_EXECD_PORT``,
      ``DRMAA_LIBRARY_PATH`` (Debian's ``libdrmaa.so.1.0``) and ``GLIBC_TUNABLES`` (see below).
    - slurm: ``SLURM_CONF``. There is no DRMAA library for Slurm: use sbatch, squeue,
      scontrol, scancel and ``sacct -c`` (no accounting database; ``sacct`` without ``-c``
      fails).
``env``
    ``os.environ`` plus ``vars`` (and ``path`` on ``PATH``): give it to subprocesses.
``path``
    Directories holding the cluster's commands (qsub, qstat, qacct, sbatch, ...); already
    on ``PATH`` in ``env`` (Debian puts them in /usr/bin).
``started``
    True if this fixture started the cluster. Whoever started it, the last fixture user
    stops a cluster that a fixture started.
``drmaa_in_process``
    True if ``import drmaa`` can work in *this* Python process (see below).

The fixtures do not change ``os.environ``; for in-process code use
``for k, v in sge.vars.items(): monkeypatch.setenv(k, v)`` (function scope).

DRMAA and Python: Debian's libdrmaa links libjemalloc, which needs more static TLS than
glibc reserves, so ``import drmaa`` fails with "cannot allocate memory in static TLS block"
unless ``GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096`` was in the environment *when the
Python process started* (setting it in ``os.environ`` later is too late). So drive DRMAA from a
subprocess started with ``env=sge.env`` (a pipeline run, or ``[sys.executable, ...]``), or
export the tunable before starting pytest; ``sge.drmaa_in_process`` says which case holds.
Also always give DRMAA/qsub jobs a working directory and output paths (defaults: $HOME).

Start, stop, and pytest-xdist: the first fixture user (over all xdist workers, and any
concurrent pytest run on the machine) takes an fcntl lock in ``$TMPDIR/ruffus-luigi-clusters``,
runs ``<name>.sh status`` and, if the cluster is not ready, ``<name>.sh start`` (about 8 s for
Grid Engine, under 1 s for Slurm). Each user registers its pid in a state file there; the last
one to finish stops the cluster (``<name>.sh stop``; Grid Engine's qmaster takes about 10 s)
if, and only if, a fixture started it. A cluster started by hand stays up. If the cluster
cannot start, the fixture fails (never skips) with the script's output. The scripts must run
as root, after ``tools/install.sh``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "cluster"))
from clusters import Cluster, ClusterError  # noqa: E402
from clusters import cluster as running_cluster  # noqa: E402


def _cluster(name: str) -> Iterator[Cluster]:
    try:
        with running_cluster(name) as running:
            yield running
    except ClusterError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def sge() -> Iterator[Cluster]:
    """A running one-host Grid Engine (queue all.q, 4 slots) with its DRMAA library."""
    yield from _cluster("sge")


@pytest.fixture(scope="session")
def slurm() -> Iterator[Cluster]:
    """A running one-node Slurm (partition debug, no accounting database)."""
    yield from _cluster("slurm")


@pytest.fixture(params=["sge", "slurm"])
def cluster(request) -> Cluster:
    """Each cluster in turn: a test taking it runs on Grid Engine, then on Slurm."""
    return request.getfixturevalue(request.param)
