"""Run Ruffus 3.0.0's own test suite against ruffus-luigi through the ``ruffus`` alias.

The test files come from the installed ``ruffus==3.0.0`` wheel (a test
dependency), are copied to ``<tmp>/ruffus/test/`` (three modules import the
package named after their parent folder) and each module runs in a fresh
interpreter with the alias first on PYTHONPATH. Modules that use Ruffus
internals are out of scope (see README). A module listed in
``tests/ruffus_suite_expected_pass.txt`` that fails makes the exit status non-zero.
``test_pool_manager`` opens a DRMAA session when it is imported if ``import drmaa`` works:
where ``drmaa`` is installed (with the plugin ruffus-luigi-drmaa) it runs with the one-host
Grid Engine of ``tools/cluster`` up and sends its remote jobs there; with the core alone the
import raises ImportError and it runs its local cases only, as under Ruffus without drmaa.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools" / "cluster"))
from clusters import ClusterError, cluster  # noqa: E402

# (found, not imported: importing drmaa loads its library, which needs the cluster's environment)
NEEDS_CLUSTER = {"test_pool_manager.py": "sge"} if importlib.util.find_spec("drmaa") else {}
INTERNAL = {
    "test_file_name_parameters.py", "test_ruffus_utility.py",
    "test_ruffus_utility_parse_task_arguments.py", "test_task_file_dependencies.py",
    "test_task_misc.py", "test_history_paths.py", "test_keyword_only_checksums.py",
    "test_job_completion_checksums.py", "test_run_in_main_process.py",
    "test_drmaa_wrapper_retries.py", "test_drmaa_wrapper_run_job_locally.py",
    "test_transform_formatter.py", "test_cmdline.py",
}
TEXT = {
    "test_branching_dependencies.py", "test_check_if_uptodate.py", "test_combinatorics.py",
    "test_newstyle_combinatorics.py", "test_graphviz.py", "test_job_history_with_exceptions.py",
    "test_regex_error_messages.py", "test_newstyle_regex_error_messages.py",
    "test_split_regex_and_collate.py", "test_verbosity.py", "test_exceptions.py",
}


def reference_tests() -> Path:
    """The ``ruffus/test`` folder of the installed wheel, found without the alias."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", "import ruffus, os; print(os.path.dirname(ruffus.__file__))"],
        capture_output=True, text=True, check=True, env=env, cwd=tempfile.gettempdir(),
    )
    return Path(out.stdout.strip()) / "test"


def run_module(src: Path, module: str, results: Path) -> tuple[str, int, int, int]:
    """Run one module in its own copy of the folder: the tests share the cwd's history file."""
    scratch = Path(tempfile.mkdtemp(prefix="ruffus_suite_"))
    workdir = scratch / "ruffus" / "test"
    shutil.copytree(src, workdir, ignore=shutil.ignore_patterns("__pycache__"))
    try:
        if module not in NEEDS_CLUSTER:
            return _run(workdir, module, results, {})
        try:
            with cluster(NEEDS_CLUSTER[module]) as running:
                return _run(workdir, module, results, running.vars)
        except ClusterError as e:
            (results / (module[:-3] + ".log")).write_text(str(e))
            return module, 1, 1, 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(workdir: Path, module: str, results: Path, cluster_vars: dict[str, str]) -> tuple[str, int, int, int]:
    env = dict(os.environ, **cluster_vars)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    for var in ("DEFAULT_RUFFUS_HISTORY_FILE", "DEFAULT_RUFFUS_CHECKSUM_LEVEL"):
        env.pop(var, None)
    xml = results / (module[:-3] + ".xml")
    log = results / (module[:-3] + ".log")
    if module.startswith("check_"):
        cmd = [sys.executable, module]
    else:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}", module]
    with open(log, "w") as f:
        try:
            rc = subprocess.run(cmd, cwd=workdir, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=600).returncode
        except subprocess.TimeoutExpired:
            rc = -1
    if xml.exists():
        root = ET.parse(xml).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        tests = int(suite.get("tests"))
        bad = sum(int(suite.get(k)) for k in ("failures", "errors"))
        return module, rc, tests, bad
    return module, rc, 1, 0 if rc == 0 else 1


def main() -> int:
    src = reference_tests()
    results = Path(os.environ.get("RUFFUS_SUITE_RESULTS", REPO / "ruffus_suite_results"))
    results.mkdir(parents=True, exist_ok=True)
    modules = sorted(p.name for p in src.glob("test_*.py")) + sorted(p.name for p in src.glob("check_*.py"))
    modules = [m for m in modules if m not in INTERNAL]
    with concurrent.futures.ThreadPoolExecutor(int(os.environ.get("RUFFUS_SUITE_JOBS", "2"))) as pool:
        outcome = list(pool.map(lambda m: run_module(src, m, results), modules))
    expected = {
        line.strip() for line in (REPO / "tests" / "ruffus_suite_expected_pass.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    regressions = []
    for module, rc, tests, bad in outcome:
        tier = "public-text" if module in TEXT else "public"
        print(f"{module:55s} {tier:11s} {'ok' if rc == 0 else 'FAIL':4s} tests={tests} failed={bad}")
        if rc != 0 and module in expected:
            regressions.append(module)
    for tier in ("public", "public-text"):
        rows = [o for o in outcome if ("public-text" if o[0] in TEXT else "public") == tier]
        print(f"# Ruffus suite, {tier}: {sum(o[1] == 0 for o in rows)}/{len(rows)} modules pass, "
              f"{sum(o[2] - o[3] for o in rows)}/{sum(o[2] for o in rows)} test cases")
    print(f"# out of scope (Ruffus internals): {len(INTERNAL)} modules, not run")
    if regressions:
        print("# modules that passed before and fail now:", " ".join(regressions))
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
