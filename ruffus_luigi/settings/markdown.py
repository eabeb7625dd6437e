"""The settings tables of README.md and docs/configuration.md, written from ``table.SETTINGS``.

``python -m ruffus_luigi.settings.markdown`` rewrites them in place after a change to the
table; ``tests/unit/test_settings_table.py`` fails while a document differs from this.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .table import CONFIGURED, FLAGS, SETTINGS, Setting


def readme_table() -> list[str]:
    """README.md's table: every ``[ruffus_luigi]`` key, its variable, default and meaning."""
    lines = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for s in CONFIGURED:
        lines.append("| `%s` | `%s` | %s | %s |" % (s.name, s.env, _default(s), s.help))
    return lines


def config_table() -> list[str]:
    """docs/configuration.md's table of the ``[ruffus_luigi]`` keys."""
    lines = ["| key | environment | default | meaning |", "|---|---|---|---|"]
    for s in CONFIGURED:
        lines.append("| `%s` | `%s` | %s | %s |" % (s.name, s.env, s.doc_default or _default(s), s.doc or s.help))
    return lines


def environment_table() -> list[str]:
    """docs/configuration.md's table of the variables no luigi.cfg key stands for."""
    lines = ["| variable | meaning |", "|---|---|"]
    for s in SETTINGS:
        if s.env and not s.section and not s.internal:
            lines.append("| `%s` | %s |" % (s.env, s.doc or s.help))
    return lines


def options_table() -> list[str]:
    """docs/configuration.md's table of the options a ``ruffus.cmdline`` script gains."""
    lines = ["| option | passed to `pipeline_run` as |", "|---|---|"]
    for s in FLAGS:
        default = "" if s.flag_default is None else " (default %s)" % s.flag_default
        lines.append("| `%s %s`%s | `%s` |" % (s.flag, s.metavar, default, s.name))
    return lines


def _default(s: Setting) -> str:
    return "empty" if s.default == "" else "`%s`" % (s.default,)


DOCUMENTS = {"README.md": (readme_table,), "docs/configuration.md": (config_table, environment_table, options_table)}


def replace_table(text: str, table: list[str]) -> str:
    """``text`` with the table whose header line is ``table``'s first line replaced by ``table``."""
    lines = text.split("\n")
    start = lines.index(table[0])
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[:start] + table + lines[end:])


def main(root: str = ".") -> int:
    """Rewrite the documents' tables under ``root``; print the files changed."""
    for name, tables in DOCUMENTS.items():
        path = Path(root, name)
        text = old = path.read_text()
        for table in tables:
            text = replace_table(text, table())
        if text != old:
            path.write_text(text)
            print("rewrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
