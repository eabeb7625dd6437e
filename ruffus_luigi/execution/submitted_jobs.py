"""Cluster jobs a run submitted, written down as they are submitted, so none outlives the run.

A run's driver, when it ends (normally, by an exception, by SIGTERM, SIGINT or SIGHUP),
cancels every cluster job of its own that has not ended; so do its workers when they are
stopped (``dispatch``). A driver killed with SIGKILL cannot: its jobs stay queued or
running. So each submission and each end is appended to a small file of the run's own,
``.ruffus_luigi/submitted/<driver pid>-<key>`` in the working directory (one line per
event, from the driver and its forked workers alike), and the next run in the directory,
once it holds the directory's lock (``workdir_lock``), cancels the jobs those files list as
not ended and waits until the cluster no longer runs them, before it plans anything.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from ..backends.base import JobState
from . import driver, private_dirs

FOLDER = os.path.join(private_dirs.ROOT, "submitted")
CANCEL_WAIT = 60.0
"""Seconds to wait for the cluster to stop cancelled jobs before the run goes on."""

_ledger: str | None = None  # this run's file (inherited by forked workers)


def start(workdir: str, exclusive: bool) -> None:
    """Cancel the jobs earlier runs left; then record this run's in a file of its own."""
    global _ledger
    folder = os.path.join(workdir, FOLDER)
    if os.path.isdir(folder) and _ours(folder):
        left: list[str] = []
        for name in sorted(os.listdir(folder)):
            pid = name.split("-", 1)[0]
            if not exclusive and pid.isdigit() and not driver.ended(int(pid)):  # (a zombie has ended)
                continue  # a run sharing this directory through luigid: its jobs are its own
            left.append(os.path.join(folder, name))
        _cancel(_outstanding(left), "left queued or running by an earlier run of this directory that was killed")
        for path in left:
            _unlink(path)
    _ledger = os.path.join(folder, "%d-%s" % (os.getpid(), uuid.uuid4().hex[:8]))


def finish() -> None:
    """The run ends: cancel what it submitted and is still queued or running (a worker was killed)."""
    global _ledger
    path, _ledger = _ledger, None
    if path is not None and os.path.exists(path):
        _cancel(_outstanding([path]), "still queued or running when this run ended")
        _unlink(path)
        folder = os.path.dirname(path)
        for empty in (folder, os.path.dirname(folder)):  # (another run's files keep them)
            try:
                os.rmdir(empty)
            except OSError:
                break


def submitted(backend: str, ids: list[str]) -> None:
    _append("".join("+ %s %s\n" % (backend, i) for i in ids))


def ended(backend: str, ids: list[str]) -> None:
    _append("".join("- %s %s\n" % (backend, i) for i in ids))


def _ours(folder: str) -> bool:
    """Only files in a folder of this user's alone are trusted: another user's could name our other jobs."""
    try:
        private_dirs.verify(folder)
    except private_dirs.ForeignDirectory as e:
        _say("the record of cluster jobs left by earlier runs is ignored: %s" % e)
        return False
    return True


def _append(text: str) -> None:
    if _ledger is None or not text:
        return
    private_dirs.make(os.path.dirname(_ledger))
    fd = os.open(_ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, text.encode())  # (one short write: lines of several processes never mix)
    finally:
        os.close(fd)


def _outstanding(paths: list[str]) -> dict[str, list[str]]:
    """Back end -> ids submitted and not ended, over these files."""
    live: dict[tuple[str, str], bool] = {}
    for path in paths:
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and parts[0] in "+-":
                live[(parts[1], parts[2])] = parts[0] == "+"
    found: dict[str, list[str]] = {}
    for (backend, job_id), running in live.items():
        if running:
            found.setdefault(backend, []).append(job_id)
    return found


def _cancel(jobs: dict[str, list[str]], why: str) -> None:
    """Cancel the jobs still queued or running, and wait (bounded) until the cluster drops them.

    In a child process: a back end's session (DRMAA's) must not exist in the driver before
    it forks its workers (theirs would then hang talking to the cluster).
    """
    if not jobs:
        return
    pid = os.fork()
    if pid == 0:
        try:
            _cancel_here(jobs, why)
        finally:
            sys.stderr.flush()
            os._exit(0)
    os.waitpid(pid, 0)


def _cancel_here(jobs: dict[str, list[str]], why: str) -> None:
    # (only when a run left cluster jobs: a local run never loads the plugins)
    from .. import plugins

    for name, ids in jobs.items():
        try:
            backend = plugins.create_backend(name)
        except Exception as e:  # noqa: BLE001 - say so; the run goes on
            _say("cannot cancel %s job(s) %s (%s): %s" % (name, ", ".join(ids), why, e))
            continue
        try:
            states = backend.poll(ids)
            # (a job the back end cannot tell about, LOST, may still run: cancelling an ended job does no harm)
            live = [i for i in ids if states.get(i) not in (JobState.SUCCEEDED, JobState.FAILED)]
            if live:
                _say("cancelling %s job(s) %s, %s" % (name, ", ".join(live), why))
                backend.cancel(live)
                deadline = time.monotonic() + CANCEL_WAIT
                while live and time.monotonic() < deadline:
                    time.sleep(0.5)
                    live = _live(backend, live)
                if live:
                    _say("%s job(s) %s still listed %g s after being cancelled" % (name, ", ".join(live), CANCEL_WAIT))
        except Exception as e:  # noqa: BLE001
            _say("cancelling %s job(s) %s failed: %s" % (name, ", ".join(ids), e))
        finally:
            backend.close()


def _live(backend: object, ids: list[str]) -> list[str]:
    states = backend.poll(ids)  # type: ignore[attr-defined]
    return [i for i in ids if states.get(i) in (JobState.PENDING, JobState.RUNNING)]


def _say(message: str) -> None:
    print("ruffus-luigi: " + message, file=sys.stderr, flush=True)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
