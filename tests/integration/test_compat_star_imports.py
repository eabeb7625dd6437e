"""``from M import *`` gives, for every public Ruffus module M, at least what Ruffus 3.0.0 gives.

Ruffus' modules have no ``__all__`` (``drmaa_wrapper`` aside), so a star import also hands
over what they imported: scripts from Ruffus' own manual use ``multiprocessing``, ``os``
and ``sys`` after ``from ruffus.proxy_logger import *``. The lists are read from the real
wheel in a process without the import alias, and from ours through ``ruffus-luigi shim-path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PUBLIC = ["ruffus", "ruffus.cmdline", "ruffus.proxy_logger", "ruffus.drmaa_wrapper",
          "ruffus.ruffus_exceptions", "ruffus.combinatorics"]
# Ruffus' internals (README: out of scope): what scripts reach of them is tested elsewhere.
INTERNAL = ["ruffus.task", "ruffus.ruffus_utility", "ruffus.dbdict", "ruffus.graph",
            "ruffus.file_name_parameters", "ruffus.print_dependencies",
            "ruffus.adjacent_pairs_iterate", "ruffus.ruffus_version", "ruffus.parse_old_style_ruffus"]

# Each name a star import binds: a module's name for modules, else the kind of value.
PROBE = """\
import json, sys, types
out = {}
for m in sys.argv[1:]:
    ns = {}
    exec("from %s import *" % m, ns)
    out[m] = {k: ("module " + v.__name__ if isinstance(v, types.ModuleType) else
                  "class" if isinstance(v, type) else "callable" if callable(v) else "value")
              for k, v in ns.items() if k != "__builtins__"}
print(json.dumps(out))
"""


def _wheel_modules() -> set[str]:
    found = subprocess.run(
        [sys.executable, "-c", "import ruffus, pkgutil; print(' '.join(m.name for m in pkgutil.iter_modules(ruffus.__path__)))"],
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, capture_output=True, text=True, check=True,
    ).stdout.split()
    return {"ruffus." + m for m in found if m != "test"} | {"ruffus"}


def _star(tmp_path: Path, impl: str, modules: list[str] = PUBLIC) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if impl == "ruffus":
        # Ruffus' drmaa_wrapper imports drmaa at once, which fails without a DRMAA library:
        # a stand-in module lets its names be listed here (it binds `drmaa` to it).
        stub = tmp_path / "stub"
        stub.mkdir(exist_ok=True)
        (stub / "drmaa.py").write_text("")
        env["PYTHONPATH"] = str(stub)
    else:
        shim = subprocess.run([sys.executable, "-m", "ruffus_luigi", "shim-path"], env={**env, "PYTHONPATH": str(REPO)},
                              capture_output=True, text=True, check=True).stdout.strip()
        env["PYTHONPATH"] = os.pathsep.join([shim, str(REPO)])
    done = subprocess.run([sys.executable, "-c", PROBE, *modules], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.timeout(120)
def test_public_and_internal_modules_cover_the_wheel() -> None:
    assert _wheel_modules() == set(PUBLIC) | set(INTERNAL)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("module", PUBLIC)
def test_star_import_gives_at_least_what_ruffus_gives(tmp_path: Path, module: str) -> None:
    ref, ours = _star(tmp_path, "ruffus")[module], _star(tmp_path, "ruffus_luigi")[module]
    missing = sorted(set(ref) - set(ours))
    assert not missing, "from %s import * lacks %s" % (module, missing)
    # a module Ruffus binds is that module here too (drmaa: ours is imported on first use)
    modules = {k: v for k, v in ref.items() if v.startswith("module ") and not v.startswith("module ruffus")}
    assert {k: ours[k] for k in modules} == modules


@pytest.mark.timeout(120)
def test_drmaa_wrapper_star_import_does_not_need_drmaa(tmp_path: Path) -> None:
    """``drmaa`` is bound but only imported when used: no DRMAA library (or package) needed."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "drmaa.py").write_text("raise ImportError('drmaa is not installed')\n")
    shim = subprocess.run([sys.executable, "-m", "ruffus_luigi", "shim-path"], env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, check=True).stdout.strip()
    script = (
        "from ruffus.drmaa_wrapper import *\n"
        "print(HAVE_DRMAA, type(drmaa).__name__, callable(run_job))\n"
        "try:\n    drmaa.Session\nexcept ImportError as e:\n    print('on use:', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked), shim, str(REPO)])})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False _ImportedOnUse True", "on use: drmaa is not installed"]


@pytest.mark.timeout(120)
def test_task_star_import_gives_what_scripts_can_use(tmp_path: Path) -> None:
    """``ruffus.task`` is internal, but ``from ruffus.task import *`` in an old script must give
    its decorators, indicators and the standard modules it hands over (its helpers it need not)."""
    ref = _star(tmp_path, "ruffus", ["ruffus", "ruffus.task"])
    ours = _star(tmp_path, "ruffus_luigi", ["ruffus.task"])["ruffus.task"]
    usable = {k for k, v in ref["ruffus.task"].items() if k in ref["ruffus"] or (v.startswith("module ") and k != "node")}
    assert usable >= {"transform", "suffix", "Pipeline", "os", "multiprocessing"}
    assert sorted(usable - set(ours)) == []
