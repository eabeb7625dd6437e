"""What every corpus job calls: record the job, then write its outputs from its inputs."""

import fcntl
import json
import os

RECORD = "corpus_jobs.jsonl"


def _strings(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def record(task, *args):
    """Append this job (task, repr of its parameters) to the record, safely across processes."""
    line = json.dumps([task, repr(args)]) + "\n"
    with open(RECORD, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(line)


def job(task, *args):
    """A job body: record it, then write each output as its task name plus its inputs' text."""
    record(task, *args)
    inputs = _strings(args[0]) if args else []
    text = task + ":" + "|".join(open(i).read() for i in sorted(inputs) if os.path.isfile(i))
    for out in _strings(args[1]) if len(args) > 1 else []:
        if "*" in out or "?" in out:
            continue
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        with open(out, "w") as f:
            f.write(text)
