"""The ``ruffus-luigi`` command line: running a script, ``status`` and the other subcommands.

``main`` is the console script's entry point (``ruffus_luigi.cli:main``). ``remote`` is the
program a cluster node runs for a job (``python -m ruffus_luigi.cli.remote DIR``).
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """The ``ruffus-luigi`` command (``commands.main``)."""
    # (loaded when the command runs: a job on a node imports this package without its parsers)
    from .commands import main as command

    return command(argv)
