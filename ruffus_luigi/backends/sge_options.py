"""Grid Engine job options (``job_other_options``) read as portable ``Resources``.

A script written for SGE passes options such as ``-q all.q -l h_vmem=4G -pe smp 4``
to ``drmaa_wrapper.run_job``. On the drmaa back end they go through verbatim; on any
other back end they are translated here, so the script runs unchanged elsewhere.
"""

from __future__ import annotations

import shlex

from .base import Resources

MEMORY = {"h_vmem", "s_vmem", "mem_free", "virtual_free", "h_data", "s_data", "mem", "mem_req", "m_mem_free"}
WALLTIME = {"h_rt", "s_rt"}
HARMLESS_FLAGS = {"-cwd", "-V", "-notify"}  # the other back ends do these anyway, or need not
HARMLESS_WITH_VALUE = {"-b", "-S", "-j", "-shell", "-w", "-r", "-N", "-wd"}


def parse(options: str | None) -> tuple[Resources, list[str]]:
    """The resources the options ask for, and the options that have no portable meaning.

    Memory per slot (``h_vmem``...) is multiplied by the ``-pe`` slots: Resources count
    memory per job.
    """
    values: dict[str, str | int] = {}
    ignored: list[str] = []
    per_slot_mb = None
    tokens = shlex.split(options or "")
    i = 0
    while i < len(tokens):
        opt = tokens[i]
        arg = tokens[i + 1] if i + 1 < len(tokens) else ""
        if opt == "-q" and arg:
            values["queue"] = arg
            i += 2
        elif opt == "-pe" and i + 2 < len(tokens):
            values["threads"] = int(tokens[i + 2].split("-")[0] or 1)
            i += 3
        elif opt == "-l" and arg:
            for item in arg.split(","):
                key, _, value = item.partition("=")
                if key in MEMORY and value:
                    per_slot_mb = Resources(memory=value).memory_mb()
                elif key in WALLTIME and value:
                    values["walltime"] = value
                else:
                    ignored.append("-l " + item)
            i += 2
        elif opt in HARMLESS_FLAGS:
            i += 1
        elif opt in HARMLESS_WITH_VALUE:
            i += 2
        else:
            ignored.append(opt + (" " + arg if arg and not arg.startswith("-") else ""))
            i += 2 if arg and not arg.startswith("-") else 1
    if per_slot_mb:
        values["memory"] = "%dM" % (per_slot_mb * int(values.get("threads") or 1))
    return Resources.from_mapping(values, "job_other_options %r" % options), ignored
