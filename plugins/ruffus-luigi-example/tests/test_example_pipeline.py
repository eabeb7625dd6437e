"""A Ruffus pipeline whose jobs run through the installed ``example`` back end."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ruffus_luigi import plugins

PIPELINE = textwrap.dedent(
    """
    import os
    from ruffus_luigi import merge, originate, pipeline_run, suffix, transform

    def record(name):
        with open("/proc/%d/cmdline" % os.getppid()) as f:
            parent = f.read().replace("\\0", " ")
        with open(name + ".pid", "w") as f:
            f.write("%d %s" % (os.getpid(), parent))

    @originate(["a.txt", "b.txt"])
    def make(out):
        record(out)
        with open(out, "w") as f:
            f.write(out)

    @transform(make, suffix(".txt"), ".up")
    def up(infile, outfile):
        record(outfile)
        with open(infile) as i, open(outfile, "w") as o:
            o.write(i.read().upper())

    @merge(up, "all.txt")
    def combine(infiles, outfile):
        record(outfile)
        with open(outfile, "w") as o:
            o.write("+".join(open(i).read() for i in infiles))

    if __name__ == "__main__":  # each job's process imports this script again
        record("main")
        pipeline_run(backend="example", multiprocess=2, verbose=1)
    """
)


def run(workdir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    return subprocess.run(
        [sys.executable, "pipeline.py"], cwd=workdir, env=env, capture_output=True, text=True, timeout=180
    )


def test_registered_through_the_entry_point():
    assert "example" in plugins.backend_names(), "pip install -e plugins/ruffus-luigi-example"


def test_pipeline_jobs_run_through_the_example_back_end(tmp_path):
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "all.txt").read_text() == "A.TXT+B.TXT"
    jobs = {p.stem: p.read_text().split(" ", 1) for p in tmp_path.glob("*.pid")}
    main_pid, _ = jobs.pop("main")
    assert sorted(jobs) == ["a.txt", "a.up", "all.txt", "b.txt", "b.up"]
    assert len({pid for pid, _ in jobs.values()} | {main_pid}) == 6  # each job its own process
    assert all(".job.sh" in parent for _, parent in jobs.values())  # under the back end's wrapper
    assert "Task enters queue" in done.stderr
    rerun = run(tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Task enters queue" not in rerun.stderr  # up to date: nothing ran again
