"""Job retries: a failing job is tried again before the run counts it failed.

``retry_count`` has Luigi's meaning (the attempts a task gets before it is given up),
but it applies to each job inside its chunk rather than to the Luigi task: retrying the
whole chunk would redo its jobs that succeeded, and a Luigi task that failed more often
than ``retry_count`` stays disabled in luigid for a day, across runs. Every back end is
retried the same way; a job its back end *lost* is resubmitted by the dispatcher besides.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .chunks import PlannedJob
    from .job import JobOutcome

log = logging.getLogger("ruffus_luigi.retries")  # (its name before the move: logging configurations name it)


def retrying(
    run: Callable[[list[PlannedJob], list[JobOutcome]], None],
    jobs: list[PlannedJob],
    outcomes: list[JobOutcome],
    attempts: int,
    delay: float,
    stopping: Callable[[], bool],
) -> None:
    """``run(jobs, outcomes)``, then again for the jobs that failed, up to ``attempts`` in all.

    Only a job's last attempt stays in ``outcomes``. A job that signalled a break is not
    retried, nor is anything once the run is stopping (Ctrl-C, a failure that ends the run).
    """
    for attempt in range(1, attempts + 1):
        first = len(outcomes)
        run(jobs, outcomes)
        failed = {o.index for o in outcomes[first:] if o.error and not o.signalled_break}
        if not failed or attempt == attempts or stopping():
            return
        for outcome in outcomes[first:]:
            if outcome.index in failed:
                log.warning(
                    "%s failed (attempt %d of %d, %s: %s): trying again in %g s",
                    outcome.name, attempt, attempts, outcome.error[2], outcome.error[3], delay,
                )
        outcomes[first:] = [o for o in outcomes[first:] if o.index not in failed]
        jobs = [j for j in jobs if j.index in failed]
        time.sleep(delay)
