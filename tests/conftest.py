"""Shared fixtures: a real luigid on a free loopback port, stopped by pid."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from luigid import Luigid  # noqa: E402


@pytest.fixture(scope="module")
def luigid(tmp_path_factory):
    """A luigid for this test module; a failure to start fails the tests, never skips them."""
    with Luigid(tmp_path_factory.mktemp("luigid")) as server:
        yield server
