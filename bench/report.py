"""The table: medians per scenario and implementation, ratios, and the touch-one job check."""

from __future__ import annotations

import math
import statistics

SCENARIOS = ("full", "noop", "touch1", "printout")
RATIOS = (("rl/ruffus", "rl", "ruffus"), ("luigid/ruffus", "rl-luigid", "ruffus"),
          ("luigid/rl", "rl-luigid", "rl"))
WIDTH = 14


def median(records: list[dict], scenario: str) -> float | None:
    """Median seconds over the runs that got to ``scenario``; inf when a run hit the cap."""
    values = [r["seconds"][scenario] for r in records if scenario in r.get("seconds", {})]
    if not values:
        return None
    return statistics.median(math.inf if v is None else v for v in values)


def cell(value: float | None, impl: str, scenario: str, cap: float, failed: bool) -> str:
    """One table cell: seconds, '>cap', 'n/a' (no such thing in plain Luigi), '-' or FAIL."""
    if value is None:
        if failed:
            return "FAIL"
        return "n/a" if impl == "luigi" and scenario in ("touch1", "printout") else "-"
    return ">%gs" % cap if math.isinf(value) else "%.2f" % value


def ratio(a: float | None, b: float | None) -> str:
    """a/b as '0.57x', or '-' when either side is missing or capped."""
    if a is None or b is None or math.isinf(a) or math.isinf(b) or b == 0:
        return "-"
    return "%.2fx" % (a / b)


def table(title: str, records: dict[str, list[dict]], cap: float) -> bool:
    """Print one (workload, N) table; True when ruffus-luigi reran other jobs than Ruffus."""
    impls = list(records)
    ratios = [r for r in RATIOS if r[1] in impls and r[2] in impls]
    print("\n## " + title)
    print("%-10s" % "scenario" + "".join("%*s" % (WIDTH, h) for h in impls + [r[0] for r in ratios]))
    for scenario in SCENARIOS:
        med = {i: median(records[i], scenario) for i in impls}
        failed = {i: any("error" in r for r in records[i]) for i in impls}
        cells = [cell(med[i], i, scenario, cap, failed[i]) for i in impls]
        cells += [ratio(med[a], med[b]) for _, a, b in ratios]
        print("%-10s" % scenario + "".join("%*s" % (WIDTH, c) for c in cells))
    rss = []
    for i in impls:
        kb = [r["rss_kb"]["full"] for r in records[i] if r.get("rss_kb", {}).get("full")]
        rss.append("%.0f" % (statistics.median(kb) / 1024) if kb else "-")
    print("%-10s" % "peak MiB" + "".join("%*s" % (WIDTH, c) for c in rss))
    return touch_check(records)


def touch_check(records: dict[str, list[dict]]) -> bool:
    """Print OK/MISMATCH per ruffus-luigi flavour; True on a mismatch."""
    expected = next((r["touch1_jobs"] for r in records.get("ruffus", []) if "touch1_jobs" in r), None)
    if expected is None:
        return False
    bad = False
    for impl in ("rl", "rl-luigid"):
        for r in records.get(impl, []):
            if "touch1_jobs" not in r:
                continue
            got = r["touch1_jobs"]
            if got == expected:
                continue
            bad = True
            extra, missing = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
            print("rerun check, %s: MISMATCH (%d jobs rerun, Ruffus %d; extra %s; missing %s)"
                  % (impl, len(got), len(expected), extra[:5], missing[:5]))
            break
        else:
            if any("touch1_jobs" in r for r in records.get(impl, [])):
                print("rerun check, %s: OK (%d jobs rerun, as Ruffus)" % (impl, len(expected)))
    return bad
