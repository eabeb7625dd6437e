"""Why each job of a run would run: the jobs a plan would run, task by task, with a reason.

Shared by ``ruffus-luigi status`` and a dry run asked for reasons (the ``reasons`` setting):
both plan without running anything. Each reason comes twice: ``reason``, the text Ruffus'
own printout gives for the job (or ``Forced to rerun`` / ``Upstream job will run: ...``),
and ``why``, one of the fixed words of ``WHY`` that a person can scan down and a program
can count.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Any

from ..files import absent
from ..files.filenames import flatten_strings, is_glob
from ..model.job_names import job_descriptor

# Every value of a reason's ``why``, in the order a job's check finds them.
WHY = (
    "forced",  # a forced task (forcedtorun_tasks, --forced_tasks)
    "upstream will run",  # an input is made again by a job that runs first
    "freed intermediate needed",  # a checkpoint strategy zeroed or removed an output a job needs
    "output missing",
    "input missing",
    "left over from a failed run",  # an output with no record in the history
    "function changed",
    "parameters changed",
    "input newer",  # an input at least as new as the oldest output
    "directories missing",  # @mkdir
    "check_if_uptodate",  # the task's own @check_if_uptodate function said so
    "task needs update",  # a task without jobs of its own (its parents decide)
)


def tasks_report(planner: Any, everything: list, incomplete: list, forced: set) -> list[dict[str, Any]]:
    """One entry per task of ``everything``, in run order: its job counts and why each job runs.

    ``incomplete`` are the tasks a run would run, ``forced`` those forced to. Jobs of a
    task that an earlier job will remake inputs of run for that reason, without a look
    at their files.
    """
    will_run = set(incomplete)
    remade: set[str] = set()  # outputs of jobs that will run before
    patterns: list[str] = []  # (their glob outputs)
    found = []
    for task in everything:
        entry: dict[str, Any] = {
            "name": task.display_name,
            "up_to_date": task not in will_run,
            "jobs": {"total": 0, "out_of_date": 0, "missing_inputs": 0},
            "reasons": [],
        }
        found.append(entry)
        if not task.is_active:
            entry["up_to_date"] = True
            continue
        if task.job_source is None:  # a task without jobs of its own: it runs as a whole
            entry["jobs"]["total"] = 1
            if task in will_run:
                entry["jobs"]["out_of_date"] = 1
                why = "forced" if task in forced else "task needs update"
                text = "Forced to rerun" if task in forced else "Task needs update"
                entry["reasons"].append({"job": None, "reason": text, "why": why})
            continue
        jobs = entry["jobs"]
        for params, display in planner.jobs(task):
            jobs["total"] += 1
            inputs = [os.path.abspath(f) for f in flatten_strings(params[0])] if params else []
            made = [f for f in inputs if f in remade or any(fnmatch.fnmatchcase(f, p) for p in patterns)]
            missing = [f for f in inputs if f not in made and not os.path.lexists(f) and absent.stat(f) is None]
            if missing:
                jobs["missing_inputs"] += 1
            if task not in will_run:
                continue
            if task in forced:
                reason, why = "Forced to rerun", "forced"
            elif made and task.uses_modify_time:  # (else the task's own check decides, inputs remade or not)
                reason = "Upstream job will run: input %s remade" % ", ".join(os.path.relpath(f) for f in made)
                why = "upstream will run"
            else:
                needs, reason = planner.job_needs_update(task, params, explain=True)
                if not needs:
                    continue
                why = _why(task, params, reason, bool(missing))
            jobs["out_of_date"] += 1
            entry["reasons"].append(
                {"job": job_name(task, display), "reason": reason.strip().lstrip(".:").strip(), "why": why}
            )
            if len(params) >= 2:
                for f in flatten_strings(params[1]):
                    f = os.path.abspath(f)
                    (patterns.append if is_glob(f) else remade.add)(f)
    return found


def _why(task: Any, params: Any, reason: str, input_missing: bool) -> str:
    """The ``WHY`` word for the text ``Planner.job_needs_update`` gave (Ruffus' wording)."""
    if reason.startswith("Needed again by a job that must run"):
        return "freed intermediate needed"
    if not task.uses_modify_time:
        return "directories missing" if task.kind == "mkdir" else "check_if_uptodate"
    text = reason.lstrip(".").strip()
    if text.startswith("Missing file") or text == "Missing output file":
        return "input missing" if input_missing else "output missing"
    for start, why in (
        ("Uncheckpointed file", "left over from a failed run"),
        ("Pipeline function has changed", "function changed"),
        ("Pipeline parameters have changed", "parameters changed"),
    ):
        if text.startswith(start):
            return why
    return "input newer"


def job_name(task: Any, display: Any) -> str:
    """The job as Ruffus' printout names it (``[a.start -> a.mid]``)."""
    name = job_descriptor(task.job_descriptor, display, 2)[0]
    return name[len("Job  = "):] if isinstance(name, str) and name.startswith("Job  = ") else str(name or "")


def text_lines(tasks: list[dict[str, Any]], verbose: int = 0) -> list[str]:
    """One line per task (verdict and counts); at ``verbose``, one per job that would run, with its reason."""
    lines = []
    width = max([len(t["name"]) for t in tasks] + [4])
    for task in tasks:
        jobs = task["jobs"]
        verdict = "up to date" if task["up_to_date"] else "out of date"
        extra = ", %d missing inputs" % jobs["missing_inputs"] if jobs["missing_inputs"] else ""
        lines.append(
            "%-*s  %-11s  jobs %d, %d out of date%s" % (width, task["name"], verdict, jobs["total"], jobs["out_of_date"], extra)
        )
        if verbose:
            for r in task["reasons"]:
                job = "    %s: " % r["job"] if r["job"] else "    "
                lines.append(job + r["reason"].replace("\n", "\n      "))
    return lines


def why_lines(tasks: list[dict[str, Any]]) -> list[str]:
    """A dry run's reasons: per task that would run, how many jobs and why, then each job and its reason."""
    lines = []
    for task in tasks:
        if task["up_to_date"]:
            continue
        jobs, reasons = task["jobs"], task["reasons"]
        counts: dict[str, int] = {}
        for r in reasons:
            counts[r["why"]] = counts.get(r["why"], 0) + 1
        summary = ", ".join("%d %s" % (n, why) for why, n in sorted(counts.items(), key=lambda kv: WHY.index(kv[0])))
        lines.append("Task = %r: %d of %d jobs would run (%s)" % (task["name"], jobs["out_of_date"], jobs["total"], summary))
        for r in reasons:
            detail = r["reason"].replace("\n", " ")
            detail = " ".join(detail.split())
            lines.append("    %s%s: %s" % ("%s " % r["job"] if r["job"] else "", r["why"], detail))
    return lines
