"""The ``ruffus-luigi`` command line: running a script, ``status`` and the other subcommands.

``main`` is the console script's entry point (``ruffus_luigi.cli:main``).
"""

from .commands import main

__all__ = ["main"]
