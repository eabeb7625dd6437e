"""What every corpus job body calls: record the job, then write its outputs from its inputs.

    record("task_function_name", inputs, outputs, *extras)

appends one JSON line ``[task, [inputs, outputs, extras...]]`` to ``RECORD`` in the
working directory (opened with O_APPEND and written under an exclusive lock, since jobs
may run in several processes at once). Values JSON has no type for (tuples, sets,
objects) are stored as their ``repr``, so a tuple and a list stay distinguishable.

Then each output file name found in ``outputs`` (strings, possibly nested in lists,
tuples or dicts; glob patterns skipped) is written with ``task:`` followed by the
contents of the input files, so the files of both implementations are comparable.
"""

import fcntl
import json
import os

RECORD = "corpus_jobs.jsonl"


def json_safe(value):
    """``value`` with everything JSON has no exact type for replaced by its repr."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if type(value) is list:
        return [json_safe(v) for v in value]
    if type(value) is dict and all(isinstance(k, str) for k in value):
        return {k: json_safe(v) for k, v in value.items()}
    return repr(value)


def file_names(value):
    """Every string in ``value``, depth first (lists, tuples, sets sorted, dict values)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    elif isinstance(value, (set, frozenset)):
        value = sorted(value, key=repr)
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in file_names(v)]
    return []


def append_line(line):
    fd = os.open(RECORD, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def record(task, inputs=None, outputs=None, *extras):
    """Record this job, then write its outputs (``task:`` + its input files' text)."""
    append_line(json.dumps([task, json_safe([inputs, outputs, *extras])], ensure_ascii=False) + "\n")
    text = task + ":" + "|".join(
        open(i, encoding="utf-8").read() for i in sorted(set(file_names(inputs))) if os.path.isfile(i)
    )
    for out in file_names(outputs):
        if "*" in out or "?" in out or "[" in out:
            continue
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
