"""Who owns an ``atomic`` key directory: the process named in its owner file, and whether it ended.

An owner file holds host, boot, pid namespace, pid and the process's start time, so that a
later run can tell, on this machine only, that the process is gone (a reused pid started
later); anything it cannot judge counts as still running.
"""

from __future__ import annotations

import os
import socket


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), "" if there is none (Linux)."""
    stat_line = _read("/proc/%d/stat" % pid)
    fields = stat_line.rpartition(")")[2].split()  # the command name, before it, may hold spaces
    return fields[19] if len(fields) > 19 else ""


def _machine() -> list[str]:
    """Host, boot and pid namespace: where a pid names the same process as here."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return [socket.gethostname(), _read("/proc/sys/kernel/random/boot_id"), namespace]


def this_process() -> str:
    """What an owner file holds: this process, as ``owner_ended`` can check it later."""
    pid = os.getpid()
    return " ".join([*_machine(), str(pid), _start_time(pid)])


def owner_ended(owner: str) -> bool:
    """Whether the process an owner file names is provably gone: of this machine, not running.

    Anything else (another host, a reboot, another pid namespace, an unreadable file, no
    ``/proc``) counts as possibly running: its files stay.
    """
    fields = owner.split()
    machine = _machine()
    if len(fields) != 5 or fields[:3] != machine or not all(machine) or not fields[3].isdigit() \
            or not fields[4].isdigit():
        return False
    return _start_time(int(fields[3])) != fields[4]  # a reused pid started later
