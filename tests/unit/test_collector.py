"""The garbage collector around a run: bulk objects are frozen while it lasts, and all given back after."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ruffus_luigi.planning import collector

REPO = Path(__file__).resolve().parents[2]


def test_long_lived_pauses_the_collector_then_freezes_what_was_made() -> None:
    assert gc.isenabled()
    try:
        with collector.long_lived():
            assert not gc.isenabled()
            made = [[n] for n in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() >= len(made)
    finally:
        collector.thaw()
    assert gc.get_freeze_count() == 0


def test_long_lived_freezes_nothing_when_making_fails() -> None:
    try:
        with collector.long_lived():
            raise KeyError
    except KeyError:
        pass
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_run_and_a_no_op_rerun_leave_nothing_frozen(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import gc
        from ruffus_luigi import merge, originate, pipeline_printout, pipeline_run, transform, suffix

        @originate(["a.x", "b.x"])
        def make(o):
            open(o, "w").write(o)

        @transform(make, suffix(".x"), ".y")
        def copy(i, o):
            open(o, "w").write(open(i).read())

        @merge(copy, "all.z")
        def total(i, o):
            open(o, "w").write("".join(i))

        for _ in range(2):
            pipeline_run(verbose=0, multiprocess=2)
            print(gc.isenabled(), gc.get_freeze_count())
        pipeline_printout(open("/dev/null", "w"), verbose=3)
        print(gc.isenabled(), gc.get_freeze_count())
        """
    )
    (tmp_path / "p.py").write_text(script)
    done = subprocess.run(
        [sys.executable, "p.py"], cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["True 0"] * 3
    assert (tmp_path / "all.z").exists()
