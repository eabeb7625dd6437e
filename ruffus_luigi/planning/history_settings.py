"""The checksum levels and the history file's name: Ruffus 3.0.0's, and their defaults.

``DEFAULT_RUFFUS_CHECKSUM_LEVEL`` and ``DEFAULT_RUFFUS_HISTORY_FILE`` are read from the
environment as Ruffus reads them; ``ruffus.ruffus_utility`` gives these names to scripts.
"""

from __future__ import annotations

import os
import sys

from ..errors.exceptions import error_checksum_level
from ..files.filenames import path_decomposition

CHECKSUM_FILE_TIMESTAMPS = 0  # rerun when file timestamps are out of date (classic make)
CHECKSUM_HISTORY_TIMESTAMPS = 1  # ... or the history has no / a newer completion record
CHECKSUM_FUNCTIONS = 2  # ... or the task function changed
CHECKSUM_FUNCTIONS_AND_PARAMS = 3  # ... or the job's extra parameters changed
CHECKSUM_REGENERATE = 2  # touch_files_only value: rebuild the history from the files

_LEVEL_NAMES = {
    "CHECKSUM_FILE_TIMESTAMPS": CHECKSUM_FILE_TIMESTAMPS,
    "CHECKSUM_HISTORY_TIMESTAMPS": CHECKSUM_HISTORY_TIMESTAMPS,
    "CHECKSUM_FUNCTIONS": CHECKSUM_FUNCTIONS,
    "CHECKSUM_FUNCTIONS_AND_PARAMS": CHECKSUM_FUNCTIONS_AND_PARAMS,
}

# Like Ruffus, the environment variable is read once, at import.
RUFFUS_HISTORY_FILE = os.environ.get("DEFAULT_RUFFUS_HISTORY_FILE", ".ruffus_history.sqlite")


# -- defaults from the environment ---------------------------------------------------
def get_default_checksum_level() -> int:
    """DEFAULT_RUFFUS_CHECKSUM_LEVEL (0-3 or a CHECKSUM_* name), else level 1.

    Ruffus 3.0.0 means to accept the names but in fact rejects them; we accept them.
    """
    value = os.environ.get("DEFAULT_RUFFUS_CHECKSUM_LEVEL")
    if value is None:
        return CHECKSUM_HISTORY_TIMESTAMPS
    if len(value) == 1 and value in "0123":
        return int(value)
    if value in _LEVEL_NAMES:
        return _LEVEL_NAMES[value]
    raise error_checksum_level(
        "The environmental value "
        "DEFAULT_RUFFUS_CHECKSUM_LEVEL should be: [0-3 | "
        "CHECKSUM_FILE_TIMESTAMPS | "
        "CHECKSUM_HISTORY_TIMESTAMPS | "
        "CHECKSUM_FUNCTIONS | "
        f"CHECKSUM_FUNCTIONS_AND_PARAMS] (rather than '{value}') "
    )


def get_default_history_file_name() -> str:
    """RUFFUS_HISTORY_FILE with ``{basename}``, ``{path}``, ``{ext}``... of the main script.

    Placeholders let one directory hold a history per script; if the main module
    has no file or the template does not format, it is used as written.
    """
    history_file = RUFFUS_HISTORY_FILE
    try:
        main_file = sys.modules["__main__"].__file__
        parts = path_decomposition(os.path.abspath(main_file))  # type: ignore[arg-type]
        history_file = history_file.format(**parts)
    except Exception:
        pass
    return history_file
