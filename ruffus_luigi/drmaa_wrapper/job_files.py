"""A ``run_job`` command's shell script and output files, named, written and read as Ruffus does."""

from __future__ import annotations

import datetime
import os
import stat
import tempfile
import time
from typing import Any


def timestamp() -> str:
    """Now, as Ruffus puts it in job and script names."""
    return "_".join(str(x) for x in datetime.datetime.now().timetuple()[:6])


def read_stdout_stderr_from_files(
    stdout_path: str, stderr_path: str, logger: Any = None, cmd_str: str = "", tries: int = 5
) -> tuple[list[str], list[str]]:
    """Read a job's output files (waiting up to ``2 * tries`` s for slow file systems), then delete them."""
    for _ in range(tries):
        if os.path.exists(stdout_path) and os.path.exists(stderr_path):
            break
        time.sleep(2)
    lines = []
    for label, path in (("stdout", stdout_path), ("stderr", stderr_path)):
        try:
            with open(path) as f:
                lines.append(f.readlines())
        except OSError as e:
            if logger:
                logger.warning("could not open %s: %s for \n%s" % (label, e, cmd_str))
            lines.append([])
    for path in (stdout_path, stderr_path):
        try:
            os.unlink(path)
        except OSError:
            pass
    return lines[0], lines[1]


def write_job_script_to_temp_file(
    cmd_str: str,
    job_script_directory: str | None,
    job_name: str | None,
    job_other_options: str | None,
    job_environment: dict | None,
    working_directory: str | None,
) -> tuple[str, str, str]:
    """Write ``cmd_str`` into a new shell script; return its path and its stdout/stderr paths."""
    directory = job_script_directory or tempfile.gettempdir()
    os.makedirs(directory, exist_ok=True)
    prefix = "%s_%s__" % (job_name or "drmaa_script_", timestamp())
    fd, path = tempfile.mkstemp(prefix=prefix, dir=directory)
    with os.fdopen(fd, "w") as f:
        f.write("#!/bin/sh\n")
        for title, value in (
            ("job_name", job_name),
            ("job_other_options", job_other_options),
            ("job_environment", job_environment),
            ("working_directory", working_directory),
        ):
            if value:
                f.write("#%s=%s\n" % (title, value))
        f.write(cmd_str + "\n")
    path = os.path.abspath(path)
    os.chmod(path, stat.S_IRWXU | stat.S_IRWXG)
    return path, path + ".stdout", path + ".stderr"


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flatten(v)]
    return [value]


def touch_output_files(cmd_str: str, output_files: Any, logger: Any = None) -> None:
    """Create or update the modification time of every file name in ``output_files``."""
    if not output_files:
        if logger:
            logger.debug("No output files to 'touch' for command:\n%s" % cmd_str)
        return
    for name in _flatten(output_files):
        if not isinstance(name, str):
            continue
        if os.path.exists(name):
            os.utime(name, None)
        else:
            open(name, "w").close()
