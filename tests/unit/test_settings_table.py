"""Every setting is declared once (``ruffus_luigi/settings/table.py``): what is made from it agrees.

README.md and docs/configuration.md show the table; Luigi's ``Config`` class and the options of
``ruffus.cmdline`` scripts are made from it; only the settings package reads ruffus-luigi's
environment variables.
"""

import re
from pathlib import Path

import pytest

from ruffus_luigi import cmdline
from ruffus_luigi.settings import config, markdown, table

REPO = Path(__file__).resolve().parents[2]


def _table_in(text: str, header: str) -> list[str]:
    lines = text.split("\n")
    start = lines.index(header)  # ValueError: the document lost the table's header
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return lines[start:end]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "document, make",
    [(name, make) for name, makers in markdown.DOCUMENTS.items() for make in makers],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_documents_show_the_table(document, make):
    expected = make()
    shown = _table_in((REPO / document).read_text(), expected[0])
    assert shown == expected, "%s drifted from ruffus_luigi/settings/table.py: run python -m ruffus_luigi.settings.markdown" % document


@pytest.mark.timeout(30)
def test_a_drifted_row_is_seen(tmp_path):
    """A row edited by hand in a document (here a default) no longer matches: the check above can fail."""
    (tmp_path / "docs").mkdir()
    for name in markdown.DOCUMENTS:
        (tmp_path / name).write_text((REPO / name).read_text())
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text().replace("| `RUFFUS_LUIGI_LOST_JOB_RETRIES` | `2` |", "| `RUFFUS_LUIGI_LOST_JOB_RETRIES` | `3` |"))
    assert _table_in(readme.read_text(), markdown.readme_table()[0]) != markdown.readme_table()
    markdown.main(str(tmp_path))
    assert _table_in(readme.read_text(), markdown.readme_table()[0]) == markdown.readme_table()


@pytest.mark.timeout(60)
def test_luigi_config_class_is_the_table():
    from ruffus_luigi.settings import luigi_settings

    params = dict(luigi_settings.ruffus_luigi.get_params())
    assert sorted(params) == sorted(s.name for s in table.CONFIGURED)
    for s in table.CONFIGURED:
        assert params[s.name]._default == s.default
        assert params[s.name].description == s.help
    assert table.DEFAULTS == {s.name: s.default for s in table.CONFIGURED}


@pytest.mark.timeout(30)
def test_cmdline_options_are_the_table():
    parser = cmdline.get_argparse()
    ours = {a.dest: a for a in parser._actions if a.dest in {s.name for s in table.FLAGS}}
    assert [a.dest for a in parser._actions if a.dest in ours] == [s.name for s in table.FLAGS]
    for s in table.FLAGS:
        assert ours[s.name].option_strings == [s.flag]
        assert ours[s.name].default == s.flag_default
        assert ours[s.name].help == s.flag_help


@pytest.mark.timeout(30)
def test_every_environment_variable_is_in_the_table():
    """A RUFFUS_LUIGI_ name in the code or the docs is a setting's variable."""
    declared = {s.env for s in table.SETTINGS if s.env}
    found = set()
    for path in [*(REPO / "ruffus_luigi").rglob("*.py"), *(REPO / "docs").rglob("*.md"), REPO / "README.md"]:
        found |= set(re.findall(r"RUFFUS_LUIGI_[A-Z_]*[A-Z]", path.read_text()))
    assert found <= declared


@pytest.mark.timeout(30)
def test_only_the_settings_package_reads_the_environment():
    reading = re.compile(r"""(environ\.get\(|environ\[|getenv\(|environ\.setdefault\()\s*["']RUFFUS_LUIGI_""")
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "ruffus_luigi").rglob("*.py")
        if "settings" not in path.relative_to(REPO).parts and reading.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.timeout(30)
def test_environment_wins_over_default(monkeypatch):
    """The precedence kept: a variable set (not empty) wins; an empty one falls through to the default."""
    monkeypatch.setenv("RUFFUS_LUIGI_LOG_LEVEL", "")
    monkeypatch.setenv("RUFFUS_LUIGI_LOCK_WAIT", "2.5")
    assert config.luigi_log_level() == "CRITICAL"
    assert config.lock_wait() == 2.5
    monkeypatch.delenv("RUFFUS_LUIGI_LOCK_WAIT")
    assert config.lock_wait() == 10.0
    monkeypatch.setenv("RUFFUS_LUIGI_LOCK_WAIT", "soon")
    with pytest.raises(ValueError, match="RUFFUS_LUIGI_LOCK_WAIT must be a number of seconds, not 'soon'"):
        config.lock_wait()


@pytest.mark.timeout(30)
def test_per_task_keys_documented_are_the_table():
    """docs/configuration.md's per-task table lists, besides the resources, exactly the per-task settings."""
    rows = _table_in((REPO / "docs/configuration.md").read_text(), "| key | meaning |")[2:]
    keys = [re.match(r"\| `([a-z_]+)` \|", row).group(1) for row in rows if not row.startswith("| `queue`")]
    assert sorted(keys) == sorted(table.TASK_RUN_KEYS)
    assert sorted(config.TASK_RUN_KEYS) == sorted(s.name for s in table.SETTINGS if s.per_task)
