"""The benchmark's smoke run keeps bench/run.py working (it asserts nothing about time)."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
IMPLS = ["ruffus", "luigi", "rl", "rl-luigid", "floor"]
RATIOS = ["rl/ruffus", "rl/luigi", "rl/floor", "ruffus/floor", "luigid/rl"]
CELL = re.compile(r"\d+\.\d+ mp\d+|\S+")  # (an implementation's cell: its fastest median and setting)


def tables(out: str) -> dict[str, list[list[str]]]:
    """Rows of each '## ' table in the bench's output, by title."""
    found: dict[str, list[list[str]]] = {}
    for line in out.splitlines():
        if line.startswith("## "):
            rows = found.setdefault(line[3:], [])
        elif line.strip() and found and not line.startswith("#"):
            rows.append(CELL.findall(line))
    return found


def test_bench_smoke_runs_every_workload_and_reruns_what_ruffus_reruns():
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--smoke"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = tables(done.stdout)
    assert [t.split(" (")[0] for t in found] == ["W1 N=20", "W2 N=20", "W3 N=10"], list(found)
    for title, rows in found.items():
        assert rows[0] == ["scenario"] + IMPLS + RATIOS, title
        by_name = {r[0]: r[1:] for r in rows[1:]}
        for scenario in ("full", "noop", "touch1", "printout"):
            cells = by_name[scenario]
            assert len(cells) == len(IMPLS) + len(RATIOS), (title, scenario)
            # each peer at its fastest multiprocess setting (of 1 and 2); the floor has none
            peers = cells[:4] if scenario in ("full", "noop") else cells[:1] + cells[2:4]
            assert all(re.fullmatch(r"\d+\.\d+ mp[12]", c) and float(c.split()[0]) > 0 for c in peers), cells
            assert float(cells[4]) > 0, (title, scenario, cells)
            ratios = cells[5:] if scenario in ("full", "noop") else cells[5:6] + cells[7:]
            assert all(c.endswith("x") for c in ratios), (title, scenario, cells)
        assert len(by_name["peak"]) == len(IMPLS) + 1, title  # "peak MiB" and one figure each (floor: -)
        checks = [" ".join(r[2:4]) for r in rows if r[:2] == ["rerun", "check,"]]
        assert checks == ["rl: OK", "rl-luigid: OK"], (title, rows)
    assert "MISMATCH" not in done.stdout
