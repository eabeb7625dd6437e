"""The ``ruffus.cmdline`` logging idiom on cluster back ends: jobs log through the shared
logger and take its mutex on a node, and their lines reach the run's log file, in order."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent('''
    from ruffus import *
    from ruffus import cmdline, proxy_logger

    parser = cmdline.get_argparse(description="logging idiom")
    options = parser.parse_args()
    logger, logger_mutex = cmdline.setup_logging(__name__, options.log_file, options.verbose)
    other, other_mutex = proxy_logger.make_shared_logger_and_proxy(
        proxy_logger.setup_std_shared_logger, "other", {"file_name": "other.log", "formatter": "%(message)s"})

    @originate(["a.start", "b.start", "c.start"], logger, logger_mutex)
    def make(output, logger, logger_mutex):
        for i in range(3):
            with logger_mutex:
                logger.info("%s line %d", output, i)
        open(output, "w").write(output)

    @transform(make, suffix(".start"), ".done", other, other_mutex)
    def step(input, output, other, other_mutex):
        other_mutex.acquire()
        other.warning("step %s", input)
        other.log(30, "logged %s at %d%%", input, 100)
        other_mutex.release()
        open(output, "w").write(open(input).read() + "!")

    cmdline.run(options)
''')
# This environment's command, whatever PATH says (another install may come first there).
RUFFUS_LUIGI = str(Path(sys.executable).with_name("ruffus-luigi"))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", ["slurm", "drmaa"])
def test_jobs_log_through_the_shared_logger_on_a_cluster(backend, request, tmp_path):
    cluster = request.getfixturevalue("slurm" if backend == "slurm" else "sge")
    (tmp_path / "p.py").write_text(SCRIPT)
    run = subprocess.run(
        [RUFFUS_LUIGI, "run", "--backend", backend, "p.py", "--log_file", "main.log", "-v", "1"],
        cwd=tmp_path, env=cluster.env, capture_output=True, text=True, timeout=500,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "AuthenticationError" not in run.stderr
    for sample in "abc":
        assert (tmp_path / f"{sample}.done").read_text() == f"{sample}.start!"
    lines = (tmp_path / "main.log").read_text().splitlines()
    for sample in "abc":
        mine = [line.split(" - ")[-1] for line in lines if f"{sample}.start line" in line]
        assert mine == [f"{sample}.start line {i}" for i in range(3)], lines
    other = (tmp_path / "other.log").read_text().splitlines()
    assert sorted(other) == sorted([f"step {s}.start" for s in "abc"] + [f"logged {s}.start at 100%" for s in "abc"])
    for sample in "abc":
        assert other.index(f"step {sample}.start") < other.index(f"logged {sample}.start at 100%")


UNPICKLABLE = textwrap.dedent('''
    from ruffus import *

    @originate(["a.start", "b.start"])
    def make(output):
        open(output, "w").write(output)

    @transform(make, suffix(".start"), ".done", lambda text: text.upper())
    def shout(input, output, how):
        open(output, "w").write(how(open(input).read()))

    pipeline_run(multiprocess=2)
''')


@pytest.mark.timeout(300)
def test_a_parameter_that_cannot_travel_stops_the_run_before_any_job(slurm, tmp_path):
    (tmp_path / "p.py").write_text(UNPICKLABLE)
    run = subprocess.run(
        [RUFFUS_LUIGI, "run", "--backend", "slurm", "p.py"],
        cwd=tmp_path, env=slurm.env, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode != 0
    assert "Task 'shout': parameter 2 (extras[0] = <function <lambda>" in run.stderr
    assert "cannot be pickled to run on back end 'slurm'" in run.stderr
    assert not list(tmp_path.glob("*.start")), "a job ran before the error"
