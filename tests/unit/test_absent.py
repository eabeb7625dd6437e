"""absent.glob: the same matches as glob.glob, whichever path it takes."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from ruffus_luigi.files import absent

PATTERNS = [
    "*", "*.s", "a_?.s", "[!a]*", "[ab]_1.*", ".*", ".hidden*", "**", "a_1.s", "missing.s",
    "sub/*.t", "sub/.*", "./sub/*", "sub/", "s*/*.t", "*/x.t", "nosuch/*", "a_1.s/*", "sub//*.t",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_glob_matches_as_glob_glob(tmp_path: Path, monkeypatch, pattern: str) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a_1.s", "a_2.s", "b_1.t", ".hidden.s", "sub/x.t", "sub/.y.t", "sub/z.s"):
        Path(name).parent.mkdir(exist_ok=True)
        Path(name).write_text("x")
    for p in (pattern, os.path.join(str(tmp_path), pattern)):
        assert sorted(absent.glob(p)) == sorted(glob.glob(p)), p
