"""A job run by another Python process (as on a cluster node) logs through the run's shared
logger and takes its mutex: the calls are replayed, in order, in the submitting process."""

import subprocess
import sys
import time

import pytest

from ruffus_luigi import proxy_logger
from ruffus_luigi.execution import pyjob, travelling


def log_lines(output, logger, mutex, n):
    for i in range(n):
        with mutex:
            logger.info("%s line %d", output, i)
    mutex.acquire()
    logger.log(40, "unpicklable argument %s", (lambda: 0).__class__)
    logger.warning("done: %s", object.__new__(type("Local", (), {"__repr__": lambda self: "<local>"})))
    mutex.release()
    open(output, "w").write("ok")


@pytest.mark.timeout(60)
def test_node_log_calls_reach_the_shared_logger_in_order(tmp_path):
    log = tmp_path / "run.log"
    logger, mutex = proxy_logger.make_shared_logger_and_proxy(
        proxy_logger.setup_std_shared_logger, "travel", {"file_name": str(log), "formatter": "%(levelname)s %(message)s"}
    )
    out = tmp_path / "out.txt"
    job = pyjob.pack(str(tmp_path / "job"), "log_lines", "Job = [out.txt]", log_lines, (str(out), logger, mutex, 3))
    before = time.time()
    node = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi.cli.remote", job], capture_output=True, text=True, timeout=50,
        cwd=tmp_path, env={"PYTHONPATH": ":".join(sys.path)},
    )
    assert node.returncode == 0, node.stderr
    answer = pyjob.read_result(job)
    assert answer["error"] is None and answer["signalled_break"] is False
    # when the function returned, on the node: the time its outputs are recorded with
    assert before < answer["finished"] < time.time()
    assert log.read_text() == ""  # nothing reaches the log before the replay
    travelling.replay(job)
    assert log.read_text().splitlines() == [
        "INFO %s line 0" % out, "INFO %s line 1" % out, "INFO %s line 2" % out,
        "ERROR unpicklable argument <class 'function'>",
        "WARNING done: <local>",
    ]
    travelling.replay(job)  # replayed once only
    assert len(log.read_text().splitlines()) == 5
