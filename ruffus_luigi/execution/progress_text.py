"""The words of a run's progress display: its status line, shortened to fit, and its task lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .progress import Progress

MAX_TASK_LINES = 11  # lines for running tasks, the last saying how many more run when they do not fit
PREFIX = "[ruffus-luigi]"


def clock_text(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on."""
    s = int(seconds)
    if s >= 3600:
        return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)
    return "%d:%02d" % (s // 60, s % 60)


def task_name(task: Any) -> str:
    """A Ruffus task as its messages name it."""
    name = getattr(task, "_get_display_name", None)
    return name() if name is not None else str(task)


def status_line(p: Progress, now: float, final: bool = False, width: int = 0) -> str:
    """The status line; with ``width``, the first of ever shorter forms that fits in it.

    Shortening drops ``elapsed``, then spaces, then spells the labels short, then drops
    ``running`` (and ``failed`` while none failed), ``tasks`` and the prefix: the ETA
    is never cut.
    """
    more = "+" if len(p.known) < p.tasks_total else ""
    tasks = "%d/%d" % (p.tasks_done, p.tasks_total)
    jobs = "%d/%d%s" % (p.jobs_done, p.jobs_total, more)
    eta = ""
    remaining = p.jobs_total - p.jobs_done - p.failed
    if not final and p.jobs_done and remaining > 0 and p.first_chunk is not None:
        rate = p.jobs_done / max(now - p.first_chunk, 1e-6)
        eta = "ETA %s%s" % (clock_text(remaining / rate), more)
    long = [("tasks", tasks), ("jobs", jobs), ("running", p.running), ("failed", p.failed)]
    elapsed = [("elapsed", clock_text(now - p.started))]
    short = [("t", tasks), ("j", jobs), ("run", p.running), ("fail", p.failed)]
    failed = [("fail", p.failed)] if p.failed else []
    forms = [
        (PREFIX, long + elapsed, "  "),
        (PREFIX, long, "  "),
        (PREFIX, long, " "),
        (PREFIX, short, " "),
        (PREFIX, short[:2] + failed, " "),
        (PREFIX, short[1:2] + failed, " "),
        ("", short[1:2] + failed, " "),
        ("", [], " "),
    ]
    for prefix, fields, sep in forms:
        line = sep.join(["%s %s" % field for field in fields] + ([eta] if eta else []))
        if prefix:
            line = prefix + " " + line
        if not width or len(line) < width:
            break
    return line


def task_lines(p: Progress, width: int = 0, most: int = MAX_TASK_LINES) -> list[str]:
    """``per_task``: one line per task with jobs running now, ``most`` lines at most."""
    if not p.per_task:
        return []
    running = [(t, c) for t, c in p.task_jobs.items() if c[3] > 0]
    shown = running if len(running) <= most else running[: max(most - 1, 0)]
    lines = []
    for task, (done, total, failed, _) in shown:
        counts = "  jobs %d/%d" % (done, total) + ("  failed %d" % failed if failed else "")
        name = task_name(task)
        room = (width - 1 if width else 1 << 30) - len(counts) - 2
        if len(name) > room:
            name = name[: max(room - 3, 0)] + "..."
        lines.append(("  " + name + counts)[: width - 1] if width > 1 else "  " + name + counts)
    if len(shown) < len(running) and most > 0:
        lines.append("  ... %d more tasks running" % (len(running) - len(shown)))
    return lines
