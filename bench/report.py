"""The table: each implementation at its fastest setting, the floor, ratios, the touch-one job check.

A cell is the median of the runs at one ``multiprocess`` setting; each implementation shows
its fastest setting's median per scenario (``1.69 mp2``), and every ratio compares those
fastest medians, so no peer is measured at a setting it would not choose.
"""

from __future__ import annotations

import math
import statistics

SCENARIOS = ("full", "noop", "touch1", "printout")
RATIOS = (
    ("rl/ruffus", "rl", "ruffus"),
    ("rl/luigi", "rl", "luigi"),
    ("rl/floor", "rl", "floor"),
    ("ruffus/floor", "ruffus", "floor"),
    ("luigid/rl", "rl-luigid", "rl"),
)
WIDTH = 14

Variant = tuple[str, int]  # (implementation, multiprocess)


def median(records: list[dict], scenario: str) -> float | None:
    """Median seconds over the runs that got to ``scenario``; inf when a run hit the cap."""
    values = [r["seconds"][scenario] for r in records if scenario in r.get("seconds", {})]
    if not values:
        return None
    return statistics.median(math.inf if v is None else v for v in values)


def fastest(records: dict[Variant, list[dict]], impl: str, scenario: str) -> tuple[float | None, int | None]:
    """The implementation's best median over its settings, and that setting."""
    found = [(median(rs, scenario), mp) for (i, mp), rs in records.items() if i == impl]
    found = [(m, mp) for m, mp in found if m is not None]
    return min(found, default=(None, None))


def cell(value: float | None, mp: int | None, impl: str, scenario: str, cap: float, failed: bool) -> str:
    """One table cell: seconds and setting, '>cap', 'n/a' (no such thing in plain Luigi), '-' or FAIL."""
    if value is None:
        if failed:
            return "FAIL"
        return "n/a" if impl == "luigi" and scenario in ("touch1", "printout") else "-"
    if math.isinf(value):
        return ">%gs" % cap
    return "%.2f" % value if impl == "floor" else "%.2f mp%d" % (value, mp)


def ratio(a: float | None, b: float | None) -> str:
    """a/b as '0.57x', or '-' when either side is missing or capped."""
    if a is None or b is None or math.isinf(a) or math.isinf(b) or b == 0:
        return "-"
    return "%.2fx" % (a / b)


def table(title: str, records: dict[Variant, list[dict]], cap: float) -> bool:
    """Print one (workload, N) table; True when ruffus-luigi reran other jobs than Ruffus."""
    impls = list(dict.fromkeys(impl for impl, _ in records))
    ratios = [r for r in RATIOS if r[1] in impls and r[2] in impls]
    print("\n## " + title)
    print("%-10s" % "scenario" + "".join("%*s" % (WIDTH, h) for h in impls + [r[0] for r in ratios]))
    for scenario in SCENARIOS:
        best = {i: fastest(records, i, scenario) for i in impls}
        failed = {i: any("error" in r for (j, _), rs in records.items() if j == i for r in rs) for i in impls}
        cells = [cell(*best[i], i, scenario, cap, failed[i]) for i in impls]
        cells += [ratio(best[a][0], best[b][0]) for _, a, b in ratios]
        print("%-10s" % scenario + "".join("%*s" % (WIDTH, c) for c in cells))
    rss = []
    for i in impls:
        kb = [r["rss_kb"]["full"] for (j, _), rs in records.items() if j == i for r in rs if r.get("rss_kb", {}).get("full")]
        rss.append("%.0f" % (max(kb) / 1024) if kb and i != "floor" else "-")
    print("%-10s" % "peak MiB" + "".join("%*s" % (WIDTH, c) for c in rss))
    return touch_check(records)


def touch_check(records: dict[Variant, list[dict]]) -> bool:
    """Print OK/MISMATCH per ruffus-luigi flavour; True on a mismatch."""
    by_impl: dict[str, list[dict]] = {}
    for (impl, _), rs in records.items():
        by_impl.setdefault(impl, []).extend(rs)
    expected = next((r["touch1_jobs"] for r in by_impl.get("ruffus", []) if "touch1_jobs" in r), None)
    if expected is None:
        return False
    bad = False
    for impl in ("rl", "rl-luigid"):
        for r in by_impl.get(impl, []):
            if "touch1_jobs" not in r:
                continue
            got = r["touch1_jobs"]
            if got == expected:
                continue
            bad = True
            extra, missing = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
            print("rerun check, %s (mp %d): MISMATCH (%d jobs rerun, Ruffus %d; extra %s; missing %s)"
                  % (impl, r["mp"], len(got), len(expected), extra[:5], missing[:5]))
            break
        else:
            if any("touch1_jobs" in r for r in by_impl.get(impl, [])):
                print("rerun check, %s: OK (%d jobs rerun, as Ruffus)" % (impl, len(expected)))
    return bad
