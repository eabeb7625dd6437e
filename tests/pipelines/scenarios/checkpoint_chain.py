"""Three samples, each in its own directory: make s/s.start -> mid s/s.mid -> end s/s.end -> total total.txt.

For the interrupted-run tests of every checkpoint strategy
(tests/integration/test_checkpoint_interrupts.py, tests/cluster/test_checkpoint_interrupts.py).
Argument 1: checkpoint strategies ("" for the configured ones); argument 2: multiprocess.

Every job appends "<event> <task> <output basename> <pid> <cluster job id or ->" to jobs.log:
``start`` when it starts, ``half`` once half its output is written and flushed, ``done``
once all of it is (the job function is about to return). Outputs are a few KiB and depend
only on the sample name, so every complete run writes the same bytes.

HOLD=<basename>[,<basename>...]: these jobs wait between the two halves until the file
"release" exists in the working directory (at most HOLD_SECONDS, default 60), so a test can
interrupt them in the middle of writing. HOLD_IGNORES_SIGTERM=1: a held job ignores SIGTERM
meanwhile (a job that cannot be stopped: it outlives a killed driver until released).
"""

import os
import signal
import sys
import time

from ruffus import merge, originate, pipeline_run, suffix, transform

SAMPLES = ["s0", "s1", "s2"]


def log(event, task, output):
    job_id = os.environ.get("JOB_ID") or os.environ.get("SLURM_JOB_ID") or "-"
    with open("jobs.log", "a") as f:
        f.write("%s %s %s %d %s\n" % (event, task, os.path.basename(output), os.getpid(), job_id))


def hold(output):
    if os.path.basename(output) in os.environ.get("HOLD", "").split(","):
        if os.environ.get("HOLD_IGNORES_SIGTERM"):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        deadline = time.time() + float(os.environ.get("HOLD_SECONDS", "60"))
        while not os.path.exists("release") and time.time() < deadline:
            time.sleep(0.02)


def write(task, output, text):
    log("start", task, output)
    with open(output, "w") as f:
        f.write(text[: len(text) // 2])
        f.flush()
        log("half", task, output)
        hold(output)
        f.write(text[len(text) // 2 :])
    log("done", task, output)


@originate(["%s/%s.start" % (s, s) for s in SAMPLES])
def make(output):
    name = os.path.basename(output)
    write("make", output, "".join("%s line %04d\n" % (name, i) for i in range(400)))


@transform(make, suffix(".start"), ".mid")
def mid(input_file, output):
    write("mid", output, open(input_file).read().upper())


@transform(mid, suffix(".mid"), ".end")
def end(input_file, output):
    write("end", output, open(input_file).read()[::-1])


@merge(end, "total.txt")
def total(inputs, output):
    write("total", output, "".join("== %s\n%s" % (i, open(i).read()) for i in sorted(inputs)))


if __name__ == "__main__":
    for sample in SAMPLES:
        if not os.path.lexists(sample):  # (a test may have put a file there)
            os.mkdir(sample)
    pipeline_run(
        verbose=1,
        checkpoint=sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None,
        multiprocess=int(sys.argv[2]) if len(sys.argv) > 2 else 2,
    )
