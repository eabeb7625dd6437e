"""luigid's visualiser, seen by a real headless Chromium, shows our pipeline by its Ruffus names.

A three-task pipeline runs to completion through a luigid started by the test (its tasks
stay in the scheduler for remove_delay, minutes); Debian's chromium then loads the task
list and the dependency graph, the pages' text (after their JavaScript has asked luigid for
the tasks) is checked, and screenshots are left in ``artifacts/`` for CI to keep.
Chromium missing is a failure, never a skip: tools/install.sh installs it.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"

PIPELINE = '''\
from ruffus import *


@originate(["sample_alpha.reads", "sample_beta.reads", "sample_gamma.reads"])
def fetch_reads(o):
    open(o, "w").write(o + "\\n")


@transform(fetch_reads, suffix(".reads"), ".aligned")
def align_reads(i, o):
    open(o, "w").write(open(i).read() + "aligned\\n")


@merge(align_reads, "alignment_summary.txt")
def summarise_alignments(i, o):
    open(o, "w").write("".join(open(x).read() for x in sorted(i)))


if __name__ == "__main__":
    pipeline_run(multiprocess=2)
'''
TASKS = {"fetch_reads", "align_reads", "summarise_alignments"}
SAMPLES = ("alpha", "beta", "gamma")
# What Luigi would show if a task were named by its id's hash rather than its family.
HASH = re.compile(r"\b[0-9a-f]{32}\b")

# Flags chromium needs as root on a machine without network: without the
# background-networking ones it waits on connections that never come.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1400,1000",
]


class Page(html.parser.HTMLParser):
    """Visible text of a dumped DOM, plus what the visualiser rendered into it."""

    def __init__(self, dom: str):
        super().__init__()
        self.text: list[str] = []
        self.families: list[str] = []     # sidebar <li data-task=...>
        self.rows: list[list[str]] = []   # task table <tr role="row"> cell texts
        self.params: list[tuple[str, str]] = []
        self._skip = 0
        self._cell: list[str] | None = None
        self._param: str | None = None
        self._param_text: list[str] = []
        self.feed(dom)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag == "li" and a.get("data-task"):
            self.families.append(a["data-task"])
        elif tag == "tr" and a.get("role") == "row":
            self.rows.append([])
        elif tag == "td" and self.rows:
            self._cell = []
        elif tag == "span" and a.get("class") in ("param-name", "param-value"):
            self._param = a["class"]
            self._param_text = []

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._skip -= 1
        elif tag == "td" and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._param:
            value = "".join(self._param_text)
            if self._param == "param-name":
                self.params.append((value, ""))
            elif self.params:
                self.params[-1] = (self.params[-1][0], value)
            self._param = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._param:
            self._param_text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def chromium_exe() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed: run tools/install.sh (installs Debian's chromium)")
    return exe


def chromium(url: str, screenshot: Path, budget_ms: int) -> str:
    """Load ``url`` in a fresh headless chromium; save a screenshot; return the DOM after JS ran."""
    exe = chromium_exe()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, "--user-data-dir=" + profile,
             "--virtual-time-budget=%d" % budget_ms, "--screenshot=" + str(screenshot),
             "--dump-dom", url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail("chromium did not finish loading %s within 60 s" % url)
    assert proc.returncode == 0, "chromium failed on %s:\n%s" % (url, err[-3000:])
    assert screenshot.stat().st_size > 0, err[-3000:]
    return out


def load(url: str, screenshot: Path, ready) -> Page:
    """The page once ``ready(page)`` holds: luigid's answers arrive asynchronously, so a
    short virtual-time budget is tried first and longer ones only if the page was not ready."""
    for budget in (5000, 15000, 30000):
        page = Page(chromium(url, screenshot, budget))
        if ready(page):
            break
    return page


def run_pipeline(workdir: Path, url: str) -> None:
    (workdir / "names_pipeline.py").write_text(PIPELINE)
    env = dict(os.environ, RUFFUS_LUIGI_SCHEDULER_URL=url, PYTHONPATH=str(REPO))
    run = subprocess.run(
        [sys.executable, "-m", "ruffus_luigi", "run", "names_pipeline.py"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (workdir / "alignment_summary.txt").read_text() == "".join(
        "sample_%s.reads\naligned\n" % s for s in SAMPLES)


def test_visualiser_shows_ruffus_task_names_and_readable_params(luigid, tmp_path):
    chromium_exe()  # fail at once, not after the run, when it is missing
    run_pipeline(tmp_path, luigid.url)
    visualiser = luigid.url + "static/visualiser/index.html"

    # Task list, 100 rows a page so that every task of the run is on it.
    tasks = load(visualiser + "#tab=tasks&length=100", ARTIFACTS / "visualiser.png",
                 lambda p: TASKS <= {row[1] for row in p.rows if len(row) > 2})
    text = tasks.visible
    for name in TASKS:
        assert name in text, "task %r not on the visualiser's task list: %s" % (name, text[:3000])
    assert set(tasks.families) == TASKS, tasks.families
    names = {row[1] for row in tasks.rows if len(row) > 2}
    assert names == TASKS, "Name column: %s" % sorted(names)
    assert not HASH.search(text), "a 32-hex-digit hash on the page: %s" % HASH.search(text)[0]
    # The readable `jobs` param names each job's files, as Ruffus does.
    jobs = {value for param, value in tasks.params if param == "jobs"}
    for s in SAMPLES:
        assert "[None -> sample_%s.reads]" % s in jobs, sorted(jobs)
        assert "[sample_%s.reads -> sample_%s.aligned]" % (s, s) in jobs, sorted(jobs)
    assert any("alignment_summary.txt" in j and "sample_gamma.aligned" in j for j in jobs), sorted(jobs)
    assert "sample_alpha.reads" in text

    # Dependency graph from the summarise_alignments task that reaches the most tasks.
    done = luigid.api("task_list", {"status": "DONE", "upstream_status": "", "search": ""})
    roots = [tid for tid, t in done.items() if t["name"] == "summarise_alignments"]
    assert roots, sorted({t["name"] for t in done.values()})
    root = max(roots, key=lambda tid: len(luigid.api("dep_graph", {"task_id": tid})))
    graph = load(visualiser + "#tab=graph&taskId=" + root, ARTIFACTS / "visualiser_graph.png",
                 lambda p: TASKS <= set(p.visible.split()))
    shown = set(graph.visible.split())
    assert TASKS <= shown, "dependency graph shows: %s" % graph.visible[:3000]
    assert not HASH.search(graph.visible), HASH.search(graph.visible)[0]
