"""How many Luigi tasks a Ruffus task's jobs become (its *chunks*), and what each is called.

Luigi's scheduler does work proportional to its pending tasks on every request, so jobs
are never one Luigi task each beyond small tasks; see docs/architecture.md, Granularity.
"""

from __future__ import annotations

import hashlib

SMALL_TASK = 50  # jobs up to which each job is its own Luigi task
CHUNKS_PER_WORKER = 4
MIN_CHUNKS_PER_TASK = 8
MAX_CHUNKS_PER_TASK = 50
"""A Ruffus task with more jobs than this is split into this many Luigi tasks."""

def chunk_size(n_jobs: int, jobs_per_luigi_task: int | None, workers: int = 1, group: int = 1) -> int:
    """Jobs per Luigi task: 1 for tasks of up to 50 jobs, else enough for 4 chunks per worker.

    Each chunk costs a fork and a few scheduler requests (7 ms each on a busy luigid), so
    big tasks get as few chunks as keep every worker busy: 4 per worker, at least 8 and at
    most 50. On a cluster back end grouping up to ``group`` jobs in one cluster job, a big
    task's chunk is a worker's share of it, up to ``group`` jobs: its jobs go out as one
    cluster job (a worker runs its chunk's cluster jobs one after another in any case, so
    bigger chunks cost no parallelism there, and each cluster job saved is seconds). Small
    tasks keep a job per chunk: a chunk's jobs reach the history when it ends, so a run
    killed outright (SIGKILL) would redo the jobs of its unfinished chunks that had ended.
    """
    if jobs_per_luigi_task:
        return max(1, int(jobs_per_luigi_task))
    if n_jobs <= SMALL_TASK:
        return 1
    chunks = min(MAX_CHUNKS_PER_TASK, max(MIN_CHUNKS_PER_TASK, CHUNKS_PER_WORKER * workers))
    return max(-(-n_jobs // chunks), min(group, -(-n_jobs // max(1, workers))))


def describe_jobs(first: str, last: str, count: int) -> str:
    """A readable, bounded parameter for a chunk: its first and last job (unique per task)."""
    first, last = first.removeprefix("Job  = "), last.removeprefix("Job  = ")
    text = first if count == 1 else "%d jobs: %s ... %s" % (count, first, last)
    if len(text) > 300:
        digest = hashlib.md5(text.encode()).hexdigest()[:12]
        text = text[:200] + " ... #" + digest
    return text
