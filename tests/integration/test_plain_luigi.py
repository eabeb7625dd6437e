"""A hand-written Luigi task requires a Ruffus pipeline's final task (docs/luigi.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FLOW = '''
import sys
import luigi
import ruffus_luigi
import small_merge


class Report(luigi.Task):
    def requires(self):
        return ruffus_luigi.luigi_task(small_merge.m)

    def output(self):
        return luigi.LocalTarget("report.txt")

    def run(self):
        with self.output().open("w") as f:
            f.write(open("all.3").read().upper())


workers = int(sys.argv[1])
kwargs = {"worker_scheduler_factory": ruffus_luigi.worker_scheduler_factory()} if sys.argv[2] == "ours" else {}
ok = luigi.build([Report()], local_scheduler=True, workers=workers, **kwargs)
sys.exit(0 if ok else 1)
'''


def run_flow(tmp_path: Path, workers: int, factory: str) -> subprocess.CompletedProcess:
    shutil.copy(REPO / "tests" / "pipelines" / "scenarios" / "small_merge.py", tmp_path / "small_merge.py")
    (tmp_path / "flow.py").write_text(FLOW)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)]))
    return subprocess.run(
        [sys.executable, "flow.py", str(workers), factory], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_plain_luigi_task_requires_the_final_ruffus_task(tmp_path):
    done = run_flow(tmp_path, 1, "luigi")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "all.3").read_text() == "xyxy"
    assert (tmp_path / "report.txt").read_text() == "XYXY"
    made = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.[123]")}
    (tmp_path / "report.txt").unlink()
    again = run_flow(tmp_path, 1, "luigi")  # the pipeline is up to date: only Report reruns
    assert again.returncode == 0, again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.[123]")} == made
    assert (tmp_path / "report.txt").read_text() == "XYXY"


def test_several_workers_with_ruffus_luigi_factory(tmp_path):
    done = run_flow(tmp_path, 2, "ours")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.txt").read_text() == "XYXY"


def test_several_forking_workers_without_the_factory_fail_clearly(tmp_path):
    done = run_flow(tmp_path, 2, "luigi")
    assert done.returncode == 1
    assert "must be planned in the process that holds its pipeline" in done.stderr
    assert "worker_scheduler_factory" in done.stderr
    assert not (tmp_path / "all.3").exists()
