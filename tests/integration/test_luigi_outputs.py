"""A hand-written Luigi task reads a Ruffus task's files through ``self.input()`` (docs/luigi.md).

The generated tasks' ``output()`` gives ``LocalTarget``s structured as Ruffus hands a task's
outputs to the next task; those of a complete task exist.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "tests" / "pipelines" / "scenarios" / "outputs_pipe.py"

FLOW = '''
import json
import sys

import luigi
import luigi.task

import outputs_pipe as pipe
import ruffus_luigi
from ruffus_luigi.luigi_adapter import translate


def show(x):
    if isinstance(x, luigi.LocalTarget):
        return x.path
    return [show(y) for y in x]


class Read(luigi.Task):
    name = luigi.Parameter()

    def requires(self):
        return ruffus_luigi.luigi_task(getattr(pipe, self.name))

    def output(self):
        return luigi.LocalTarget("read_%s.json" % self.name)

    def run(self):
        got = self.input()
        files = {t.path: open(t.path).read() for t in luigi.task.flatten(got)}
        with self.output().open("w") as f:
            json.dump({"paths": show(got), "contents": files}, f)


names = sys.argv[1].split(",")
kwargs = {"workers": int(sys.argv[2]), "worker_scheduler_factory": ruffus_luigi.worker_scheduler_factory()}
if len(sys.argv) > 3:
    host, port = sys.argv[3].rsplit(":", 1)
    kwargs.update(scheduler_host=host, scheduler_port=int(port))
else:
    kwargs["local_scheduler"] = True
ok = luigi.build([Read(name=n) for n in names], **kwargs)
stages = {n: ruffus_luigi.luigi_task(getattr(pipe, n)) for n in pipe.NAMES}
exists = {n: [t.exists() for t in luigi.task.flatten(s.output())] for n, s in stages.items() if s.complete()}
chunks = [[t.exists() for t in luigi.task.flatten(c.luigi_task.output())] for c in list(translate.REGISTRY.chunks.values())]
json.dump({"exists": exists, "chunks": chunks}, open("exists.json", "w"))
sys.exit(0 if ok else 1)
'''

UNDER_RUFFUS = '''
import json
import outputs_pipe as pipe
from ruffus import merge, pipeline_run
for name in pipe.NAMES:
    def seen(i, o):
        json.dump(i, open(o, "w"))
    seen.__name__ = "seen_" + name
    merge(getattr(pipe, name), "seen_%s.json" % name)(seen)
pipeline_run(verbose=0)
'''

NAMES = ["start", "up", "pair", "together", "parts", "groups", "last", "par", "one"]
EXPECTED = {  # what Ruffus hands a task taking the named one as input
    "start": (["g1_a.in", "g1_b.in", "g2_c.in"], {"g1_a.in": "g1_a\n", "g1_b.in": "g1_b\n", "g2_c.in": "g2_c\n"}),
    "up": (["g1_a.up", "g1_b.up", "g2_c.up"], {"g1_a.up": "G1_A\n", "g1_b.up": "G1_B\n", "g2_c.up": "G2_C\n"}),
    "pair": (  # several outputs per job (and an extra that is no file)
        [["g1_a.x", "g1_a.y"], ["g1_b.x", "g1_b.y"], ["g2_c.x", "g2_c.y"]],
        {f: f for f in ["g1_a.x", "g1_a.y", "g1_b.x", "g1_b.y", "g2_c.x", "g2_c.y"]},
    ),
    "together": ("all.txt", {"all.txt": "G1_A\nG1_B\nG2_C\n"}),  # @merge: its one output
    "parts": (["part.0", "part.1", "part.2"], {"part.0": "G1_A", "part.1": "G1_B", "part.2": "G2_C"}),
    "groups": (["g1.grp", "g2.grp"], {"g1.grp": "G1_A+G1_B", "g2.grp": "G2_C"}),
    "last": ([], {}),  # @follows only
    "par": ([], {}),  # @parallel
    "one": ("g1_a.one", {"g1_a.one": "one"}),  # a @transform of one file name: its one output
}


def run_flow(workdir: Path, names: list[str], workers: int, *scheduler: str) -> subprocess.CompletedProcess:
    shutil.copy(PIPELINE, workdir / PIPELINE.name)
    (workdir / "flow.py").write_text(FLOW)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)]))
    return subprocess.run(
        [sys.executable, "flow.py", ",".join(names), str(workers), *scheduler], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=150,
    )


def check_read(workdir: Path, names: list[str]) -> None:
    for name in names:
        read = json.loads((workdir / ("read_%s.json" % name)).read_text())
        assert (read["paths"], read["contents"]) == EXPECTED[name], name


def check_exists(workdir: Path, chunks_ran: bool = True) -> None:
    found = json.loads((workdir / "exists.json").read_text())
    assert set(found["exists"]) == set(NAMES)  # every task complete ...
    for name, flags in found["exists"].items():  # ... and its outputs there
        assert all(flags), name
        assert len(flags) == len(list(_flat(EXPECTED[name][0]))), name
    assert bool(found["chunks"]) is chunks_ran
    assert all(all(flags) for flags in found["chunks"])  # a chunk's: its jobs' outputs


def _flat(x):
    if isinstance(x, str):
        yield x
    else:
        for y in x:
            yield from _flat(y)


@pytest.mark.timeout(200)
def test_a_hand_written_task_reads_each_kind_of_ruffus_output_through_input(tmp_path):
    done = run_flow(tmp_path, NAMES, 1)
    assert done.returncode == 0, done.stderr
    check_read(tmp_path, NAMES)
    check_exists(tmp_path)


@pytest.mark.timeout(200)
def test_the_split_glob_names_the_files_there_once_it_ran(tmp_path):
    """A @split's glob is resolved when output() is asked, after the split ran: the files a
    rerun made, not those there before it (nor those the glob matched when it was planned)."""
    (tmp_path / "part.7").write_text("stale")
    done = run_flow(tmp_path, ["parts"], 2)
    assert done.returncode == 0, done.stderr
    check_read(tmp_path, ["parts"])
    assert not (tmp_path / "part.7").exists()


@pytest.mark.timeout(200)
def test_up_to_date_tasks_give_the_same_outputs_again(tmp_path):
    first = run_flow(tmp_path, NAMES, 2)
    assert first.returncode == 0, first.stderr
    outputs = [f for name in NAMES for f in _flat(EXPECTED[name][0])]
    made = {f: (tmp_path / f).stat().st_mtime_ns for f in outputs}
    for p in tmp_path.glob("read_*.json"):
        p.unlink()
    again = run_flow(tmp_path, NAMES, 2)  # nothing of Ruffus' runs: only the readers
    assert again.returncode == 0, again.stderr
    check_read(tmp_path, NAMES)
    check_exists(tmp_path, chunks_ran=True)  # (@parallel has no up-to-date check: it runs again)
    assert {f: (tmp_path / f).stat().st_mtime_ns for f in outputs} == made


@pytest.mark.timeout(300)
def test_through_a_real_luigid(luigid, tmp_path):
    host_port = luigid.url.rstrip("/").rsplit("/", 1)[-1]
    done = run_flow(tmp_path, NAMES, 2, host_port)
    assert done.returncode == 0, done.stderr
    check_read(tmp_path, NAMES)
    check_exists(tmp_path)
    finished = luigid.api("task_list", {"status": "DONE", "upstream_status": "", "search": "Read"})
    assert {t["params"]["name"] for t in finished.values() if t["name"] == "Read"} == set(NAMES)


@pytest.mark.timeout(200)
def test_the_structure_is_what_real_ruffus_hands_the_next_task(tmp_path):
    """Real Ruffus 3.0.0, a @merge of each task recording its input, against ``self.input()``."""
    (tmp_path / "ruffus").mkdir()
    (tmp_path / "luigi").mkdir()
    shutil.copy(PIPELINE, tmp_path / "ruffus" / PIPELINE.name)
    (tmp_path / "ruffus" / "seen.py").write_text(UNDER_RUFFUS)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # (no shim: the real Ruffus)
    real = subprocess.run([sys.executable, "seen.py"], cwd=tmp_path / "ruffus", env=env, capture_output=True, text=True, timeout=120)
    assert real.returncode == 0, real.stderr
    done = run_flow(tmp_path / "luigi", NAMES, 1)
    assert done.returncode == 0, done.stderr
    for name in NAMES:
        handed = json.loads((tmp_path / "ruffus" / ("seen_%s.json" % name)).read_text())
        got = json.loads((tmp_path / "luigi" / ("read_%s.json" % name)).read_text())["paths"]
        if name == "par":  # @parallel's second parameters are arguments, not files
            assert (handed, got) == ([1, 2], []), name
        else:
            assert got == handed, name
