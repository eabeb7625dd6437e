"""luigid's visualiser, seen by a real headless Chromium, shows our pipeline by its Ruffus names.

A three-task pipeline runs to completion through a luigid started by the test (its tasks
stay in the scheduler for remove_delay, minutes); Debian's chromium then loads the task
list and the dependency graph, the pages' text (after their JavaScript has asked luigid for
the tasks) is checked, and screenshots are left in ``artifacts/`` for CI to keep.

A second test drives the visualiser (``chromium_kit``: clicks, popups) during and after a
run with a failing job: progress, Ruffus' error text, final states, pipelines and
directories told apart, the graph's labels. Its screenshots are the ones in docs/images
(copied from ``artifacts/`` by hand when the page changes).
Chromium missing is a failure, never a skip: tools/install.sh installs it.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from chromium_kit import Browser
from luigid import Luigid

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


@pytest.mark.timeout(300)
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


# -- a run with a failing job, watched during and after it -----------------------------------------
FAILING = '''\
import os
import time

from ruffus import *

SAMPLES = ["s%03d" % i for i in range(20)]


@mkdir("aligned")
@originate([s + ".reads" for s in SAMPLES])
def fetch(o):
    open(o, "w").write(o + "\\n")


@transform(fetch, formatter(), "aligned/{basename[0]}.bam")
def align(i, o):
    if i == "s007.reads":
        raise ValueError("bad read in " + i)
    if i >= "s015":  # the last chunk waits until the test has looked at the page (bounded)
        for _ in range(1200):
            if os.path.exists("go"):
                break
            time.sleep(0.05)
    open(o, "w").write(open(i).read())


@transform(align, suffix(".bam"), ".idx")  # starts job by job as align's end
def index(i, o):
    open(o, "w").write(i)


@merge(index, "summary.txt")
def gather(i, o):
    open(o, "w").write("".join(open(x).read() for x in i))


if __name__ == "__main__":
    pipeline_run(multiprocess=2, jobs_per_luigi_task=5)
'''

OTHER = '''\
from ruffus import *


@originate(["o1.txt", "o2.txt"])
def fetch(o):
    open(o, "w").write(o)


@transform(fetch, suffix(".txt"), ".out")
def align(i, o):
    open(o, "w").write(open(i).read())


@merge(align, "o.all")
def gather(i, o):
    open(o, "w").write("".join(open(x).read() for x in i))


if __name__ == "__main__":
    pipeline_run(multiprocess=2)
'''

INTERNAL_PARAMS = ("run_id=", "version=", "chunk=")
LUIGI_INTERNALS = ("luigi/worker.py", "_run_get_new_deps", "job(s) of Ruffus task", "Runtime error")
ROWS_JS = """Array.from(document.querySelectorAll('#taskTable tbody tr')).map(
    tr => Array.from(tr.cells).map(td => td.innerText.trim()))"""


def _row_js(name: str, details: str, then: str) -> str:
    """JavaScript doing ``then`` (with ``tr``) on the task table row of this name whose details hold ``details``."""
    return """(() => {
        const tr = Array.from(document.querySelectorAll('#taskTable tbody tr')).find(
            tr => tr.cells.length > 2 && tr.cells[1].innerText.trim() === %s && tr.cells[2].innerText.includes(%s));
        if (!tr) return null;
        %s
    })()""" % (json.dumps(name), json.dumps(details), then)


def _rows(browser: Browser) -> list[list[str]]:
    return [r for r in browser.js(ROWS_JS) if len(r) > 2]


def _task_list(browser: Browser, url: str, ready: str, timeout: float = 60) -> list[list[str]]:
    """The task list (100 rows a page) once ``ready`` (JavaScript) holds, loaded afresh until it does:
    the visualiser reads luigid once per load."""
    deadline = time.monotonic() + timeout
    while True:
        browser.open("about:blank")
        browser.open(url + "static/visualiser/index.html#tab=tasks&length=100")
        try:
            browser.wait_for(ready, timeout=3, what="the task list's rows")
            return _rows(browser)
        except pytest.fail.Exception:
            if time.monotonic() > deadline:
                raise


def _popup(browser: Browser, name: str, details: str, button: str, modal: str) -> str:
    """Click ``button`` in a task's row; the text of the popup it opens."""
    assert browser.js(_row_js(name, details, "tr.querySelector(%s).click(); return true;" % json.dumps(button))), (
        "no %s button on the row of %s (%s)" % (button, name, details))
    text = browser.wait_for("$('%s').is(':visible') && $('%s pre').first().text()" % (modal, modal),
                            what="the popup of " + name)
    browser.wait_for("getComputedStyle(document.querySelector('%s')).opacity === '1'" % modal, what="the popup shown")
    return text


def _close_popup(browser: Browser, modal: str) -> None:
    browser.js("$('%s .modal-footer button').click()" % modal)
    browser.wait_for("!$('%s').is(':visible') && !$('.modal-backdrop').length" % modal, what="the popup closed")


def _category(rows: list[list[str]], name: str, details: str) -> list[str]:
    return [r[0] for r in rows if r[1] == name and details in r[2]]


@pytest.mark.timeout(300)
def test_visualiser_during_and_after_a_run_with_a_failing_job(tmp_path):
    chromium_exe()
    work, other_dir = tmp_path / "work", tmp_path / "other"
    work.mkdir()
    other_dir.mkdir()
    (work / "vis_pipeline.py").write_text(FAILING)
    (work / "other_pipeline.py").write_text(OTHER)
    (other_dir / "other_pipeline.py").write_text(OTHER)
    where = "workdir=%s" % work
    stage = "jobs=all, pipeline=vis_pipeline.py, " + where
    bad_chunk = "jobs=5 jobs: [s005.reads -> aligned/s005.bam] ... [s009.reads -> aligned/s009.bam]"
    with Luigid(tmp_path / "luigid") as server, Browser(1200, 760) as browser:
        env = dict(os.environ, RUFFUS_LUIGI_SCHEDULER_URL=server.url, PYTHONPATH=str(REPO))
        run = subprocess.Popen(
            [sys.executable, "-m", "ruffus_luigi", "run", "vis_pipeline.py"], cwd=work, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), start_new_session=True,
        )
        try:
            # -- during the run: s007 has failed, the last chunk waits for "go" ---------------------
            rows = _task_list(browser, server.url, _row_js("align", stage, "return tr.cells[0].innerText.includes('FAILED')"))
            assert run.poll() is None, "the run ended before the test looked: %s" % (run.communicate(),)
            assert _category(rows, "align", stage) == ["FAILED"], rows  # its own job failed: not UPSTREAM_FAILED
            assert _category(rows, "align", bad_chunk) == ["FAILED"], rows
            for row in rows:
                assert not any(p in row[2] for p in INTERNAL_PARAMS), row
            shown = _popup(browser, "align", stage, ".statusMessage", "#statusMessageModal")
            assert re.fullmatch(r"(4|9|14)/20 jobs, 1 failed", shown), shown  # (as chunks 0 and 2 end, in any order)
            # the popup reads luigid again every 0.5 s: chunks 0-2 end while the last one waits for "go"
            browser.wait_for("$('#statusMessageModal pre').first().text() === '14/20 jobs, 1 failed' && "
                             "$('#statusMessageModal .progress-bar').text().trim() === '75%'", what="14/20 jobs, 75%")
            browser.screenshot(ARTIFACTS / "visualiser_progress.png")
            _close_popup(browser, "#statusMessageModal")
            error = _popup(browser, "align", bad_chunk, ".showError", "#errorModal")
            _check_ruffus_error(error)
            browser.screenshot(ARTIFACTS / "visualiser_error.png")
            _close_popup(browser, "#errorModal")
            assert _popup(browser, "align", bad_chunk, ".statusMessage", "#statusMessageModal") == (
                "1 of 5 jobs failed: [s007.reads -> aligned/s007.bam]")
            _close_popup(browser, "#statusMessageModal")
            running = server.api("task_list", {"status": "RUNNING", "upstream_status": "", "search": str(work)})
            assert "5 jobs: [s015.reads -> aligned/s015.bam] ... [s019.reads -> aligned/s019.bam]" in [
                t["params"]["jobs"] for t in running.values()], running
        finally:
            (work / "go").touch()
            out, err = run.communicate(timeout=120)
        assert run.returncode == 1, out + err
        assert "bad read in s007.reads" in err
        for cwd in (work, other_dir):  # the same task names: another pipeline, another directory
            done = subprocess.run([sys.executable, "-m", "ruffus_luigi", "run", "other_pipeline.py"], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr

        # -- after the run ------------------------------------------------------------------------
        rows = _task_list(browser, server.url, _row_js("align", "pipeline=other_pipeline.py, workdir=%s" % other_dir,
                                                       "return tr.cells[0].innerText.includes('DONE')"))
        for row in rows:
            assert not any(p in row[2] for p in INTERNAL_PARAMS), row
            assert row[0] not in ("PENDING", "RUNNING"), row
        assert _category(rows, "align", stage) == ["FAILED"], rows
        assert _category(rows, "gather", stage) == ["FAILED"], rows  # (luigid's UPSTREAM_FAILED is PENDING)
        assert _category(rows, "fetch", stage) == ["DONE"], rows
        assert _category(rows, "mkdir(aligned) before fetch", stage) == ["DONE"], rows
        stages = {r[2] for r in rows if r[1] == "align" and r[2].startswith("jobs=all")}
        assert stages == {stage, "jobs=all, pipeline=other_pipeline.py, " + where,
                          "jobs=all, pipeline=other_pipeline.py, workdir=%s" % other_dir}, stages
        error = _popup(browser, "align", stage, ".showError", "#errorModal")
        _check_ruffus_error(error)
        _close_popup(browser, "#errorModal")
        behind = "a job of Ruffus task 'align' making their input failed\n"
        assert _popup(browser, "gather", stage, ".showError", "#errorModal") == (
            "Ruffus task 'gather' did not finish: " + behind)
        _close_popup(browser, "#errorModal")
        assert _category(rows, "index", stage) == ["FAILED"], rows
        assert _popup(browser, "index", stage, ".showError", "#errorModal") == (
            "Ruffus task 'index' did not finish: " + behind)
        _close_popup(browser, "#errorModal")
        blocked = "jobs=5 jobs: [aligned/s005.bam -> aligned/s005.idx] ... [aligned/s009.bam -> aligned/s009.idx]"
        assert _category(rows, "index", blocked) == ["FAILED"], rows  # waited for the failed chunk's outputs
        assert _popup(browser, "index", blocked, ".showError", "#errorModal") == (
            "These jobs of Ruffus task 'index' were not run: " + behind)
        _close_popup(browser, "#errorModal")
        assert _popup(browser, "align", stage, ".statusMessage", "#statusMessageModal") == "19/20 jobs, 1 failed"
        _close_popup(browser, "#statusMessageModal")
        assert _popup(browser, "fetch", stage, ".statusMessage", "#statusMessageModal") == "20/20 jobs"
        _close_popup(browser, "#statusMessageModal")
        browser.screenshot(ARTIFACTS / "visualiser_after.png")
        for status in ("PENDING", "RUNNING"):
            assert not server.api("task_list", {"status": status, "upstream_status": "", "search": ""}), status
        failed = server.api("task_list", {"status": "FAILED", "upstream_status": "", "search": str(work)})

        # -- the graph from gather: every label readable, none over another -----------------------------
        gather = [tid for tid, t in failed.items() if t["name"] == "gather"]
        assert len(gather) == 1, failed
        browser.open("about:blank")
        browser.open(server.url + "static/visualiser/index.html#tab=graph&taskId=" + gather[0])
        labels = browser.wait_for("""(() => {
            const texts = Array.from(document.querySelectorAll('a.graph-node-a text'));
            return texts.length > 10 && texts.map(t => {
                const r = t.getBoundingClientRect();
                return [t.textContent, r.left, r.top, r.right, r.bottom];
            });
        })()""", what="the dependency graph")
        names = {label[0] for label in labels}
        assert {"gather", "index", "align", "fetch", "mkdir(aligned) before fetch"} <= names, names
        for name in names:
            assert not re.search(r"&(#\d+|[a-z]+);", name) and len(name) <= 40, name
        for i, (a, *box_a) in enumerate(labels):
            for b, *box_b in labels[i + 1:]:
                apart = box_a[2] <= box_b[0] or box_b[2] <= box_a[0] or box_a[3] <= box_b[1] or box_b[3] <= box_a[1]
                assert apart, "graph labels %r and %r overlap: %s %s" % (a, b, box_a, box_b)
        time.sleep(1)  # (the page slides its side bar away when it shows the graph)
        browser.screenshot(ARTIFACTS / "visualiser_graph_failed.png")


def _check_ruffus_error(error: str) -> None:
    """luigid's error for the failed job: Ruffus' text naming it, its exception and traceback first."""
    lines = error.splitlines()
    assert lines[:4] == [
        "Exception #1",
        "  'builtins.ValueError(bad read in s007.reads)' raised in ...",
        "   Task = def align(...):",
        "   Job  = [s007.reads -> aligned/s007.bam]",
    ], error
    assert 'in align\n    raise ValueError("bad read in " + i)\nValueError: bad read in s007.reads' in error, error
    assert not any(x in error for x in LUIGI_INTERNALS), error
