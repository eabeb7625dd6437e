"""What luigid is told of a run (``luigi_adapter.luigid_view``): names, ids, progress reports."""

from __future__ import annotations

from types import SimpleNamespace

import luigi
import luigi.task_register
import pytest

from ruffus_luigi.execution.job import JobOutcome
from ruffus_luigi.luigi_adapter import luigid_view, translate


@pytest.mark.timeout(30)
def test_family_names_have_nothing_the_visualiser_shows_as_an_html_entity():
    taken: set[str] = set()
    assert luigid_view.family_name("align", taken) == "align"
    assert luigid_view.family_name("mkdir('aligned')   before align ", taken) == "mkdir(aligned) before align"
    assert luigid_view.family_name("pipe::a<b & \"c\"", taken) == "pipe::a(b + c"
    long = luigid_view.family_name("mkdir('/very/long/path/to/a/directory/of/results',  'x')   before align", taken)
    assert len(long) <= luigid_view.FAMILY_MAX and long.startswith("mkdir(/very/") and long.endswith("before align")
    taken = {"a(b"}
    assert luigid_view.family_name("a<b", taken) == "a(b #2"


class _Tasks:
    """Generated classes of two Ruffus tasks whose names make the same family, as pipeline_run makes them."""

    def __init__(self) -> None:
        self.saved = (dict(translate.REGISTRY.classes), dict(translate.REGISTRY.tasks), set(translate.REGISTRY.families))
        self.a = translate.class_for(SimpleNamespace(display_name="view'test", func_description=""))
        self.b = translate.class_for(SimpleNamespace(display_name="viewtest", func_description=""))

    def close(self) -> None:
        translate.REGISTRY.classes, translate.REGISTRY.tasks, translate.REGISTRY.families = (
            self.saved[0], self.saved[1], self.saved[2])


@pytest.fixture
def generated():
    tasks = _Tasks()
    yield tasks
    tasks.close()


@pytest.mark.timeout(30)
def test_hidden_parameters_are_not_shown_but_make_the_task_id(generated):
    a, b = generated.a, generated.b
    assert a.get_task_family() == "viewtest" and b.get_task_family() == "viewtest #2"
    stage = a(run_id="r1", pipeline="p.py", workdir="/w")
    assert stage.to_str_params(only_public=True) == {"jobs": "all", "pipeline": "p.py", "workdir": "/w"}
    ids = {
        stage.task_id,
        a(run_id="r2", pipeline="p.py", workdir="/w").task_id,  # another run
        a(run_id="r1", pipeline="q.py", workdir="/w").task_id,  # another pipeline
        a(run_id="r1", pipeline="p.py", workdir="/v").task_id,  # another directory
        a(chunk=0, jobs="[x]", pipeline="p.py", workdir="/w").task_id,
        a(chunk=1, jobs="[x]", pipeline="p.py", workdir="/w").task_id,  # the same label, another chunk
        a(chunk=0, jobs="[x]", pipeline="p.py", workdir="/w", version="v2").task_id,  # its inputs changed
        b(chunk=0, jobs="[x]", pipeline="p.py", workdir="/w").task_id,  # another Ruffus task
    }
    assert len(ids) == 8
    again = a(run_id="r1", pipeline="p.py", workdir="/w")
    assert again.task_id == stage.task_id and hash(again) == hash(stage) and again == stage
    # Luigi rebuilds a yielded dependency from its family and parameters (hidden ones included)
    rebuilt = luigi.task_register.load_task(stage.task_module, stage.get_task_family(), stage.to_str_params())
    assert rebuilt.task_id == stage.task_id


class _Scheduler:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def set_task_status_message(self, task_id: str, status_message: str) -> None:
        self.calls.append(("message", task_id, status_message))

    def set_task_progress_percentage(self, task_id: str, progress_percentage: int) -> None:
        self.calls.append(("percent", task_id, progress_percentage))

    def add_task(self, **kwargs) -> None:
        self.calls.append(("add_task", kwargs["task_id"], kwargs["status"]))


class _Task:
    display_name = "align"


def _run(chunks: int, jobs_each: int):
    task = _Task()
    outcomes: dict[int, list] = {}
    stages = SimpleNamespace(planned={}, finished=set(), stage_requirements=lambda t: [])
    state = SimpleNamespace(run_id="r", stages=stages, incomplete=[task], scheduler=_Scheduler())
    jobs = [SimpleNamespace(needs_run=True)] * jobs_each
    planned = []
    for i in range(chunks):
        chunk = SimpleNamespace(task=task, forced=False, jobs=jobs, state=state, upstream=[], yielded=True,
                                luigi_task=SimpleNamespace(task_id="chunk-%d" % i), to_run=lambda: jobs)
        chunk.results = lambda c=chunk: outcomes.get(id(c), [])
        planned.append(chunk)
    stages.planned[task] = planned
    return task, state, planned, outcomes


@pytest.mark.timeout(30)
def test_a_stage_reports_its_progress_a_few_times_a_second_whatever_its_chunks_do():
    task, state, planned, outcomes = _run(1000, 1)
    now = [0.0]
    view = luigid_view.StageView(
        state, lambda t, s: SimpleNamespace(task_id="align-stage"), lambda: state.scheduler, clock=lambda: now[0]
    )
    view.worker_id = "w"
    for i, chunk in enumerate(planned):  # a thousand chunks end within one second
        failed = i == 7
        error = ("align", "Job  = [x7]", "builtins.ValueError", "(bad)", "Traceback ...\n") if failed else None
        outcomes[id(chunk)] = [JobOutcome(i, "Job  = [x%d]" % i, ran=True, error=error)]
        view.chunk_ended(chunk)
        now[0] += 0.001
        view.tick()
    messages = [c for c in state.scheduler.calls if c[0] == "message" and c[1] == "align-stage"]
    assert len(messages) == 1, messages  # at the first chunk's end, then one per UPDATE_INTERVAL (1 s)
    # the failed chunk's own message names its failed job (its only call)
    assert [c for c in state.scheduler.calls if c[1].startswith("chunk-")] == [
        ("message", "chunk-7", "1 of 1 jobs failed: [x7]")]
    now[0] += 1.0
    view.tick()
    view.tick()
    assert [c for c in state.scheduler.calls if c[0] != "add_task"][-2:] == [
        ("message", "align-stage", "999/1000 jobs, 1 failed"), ("percent", "align-stage", 100)]
    failed = [c for c in state.scheduler.calls if c[0] == "add_task"]
    assert failed and all(c[2] == "FAILED" for c in failed) and len(failed) == 1  # (its failed count never changed)
    calls = len(state.scheduler.calls)
    view.tick(final=True)
    assert len(state.scheduler.calls) == calls  # nothing new to say


@pytest.mark.timeout(30)
def test_a_failed_chunks_error_is_ruffus_text_for_its_jobs():
    errors = [
        ("align", "Job  = [s007.reads -> s007.bam]", "builtins.ValueError", "(bad read)", "Traceback (most recent call last):\n  File \"p.py\", line 3, in align\nValueError: bad read\n"),
    ]
    text = luigid_view.ruffus_text(errors)
    assert text.splitlines()[:4] == [
        "Exception #1",
        "  'builtins.ValueError(bad read)' raised in ...",
        "   Task = def align(...):",
        "   Job  = [s007.reads -> s007.bam]",
    ]
    assert text.rstrip().endswith("ValueError: bad read")
    many = luigid_view.ruffus_text(errors * 9)
    assert many.count("Exception #") == luigid_view.ERRORS_SHOWN and many.rstrip().endswith("... and 4 more failed jobs")


@pytest.mark.timeout(30)
def test_a_failed_chunks_status_message_is_text_even_for_file_names_made_of_markup():
    """The visualiser writes status messages into its page as HTML: a file name must stay text."""
    bad = JobOutcome(0, "Job  = [<img src=x onerror=alert(1)>.reads -> a&b.bam]", ran=True, error=("t", "", "E", "", ""))
    good = JobOutcome(1, "Job  = [ok.reads -> ok.bam]", ran=True)
    shown = luigid_view.failed_jobs([bad, good], 2)
    assert shown == "1 of 2 jobs failed: [&lt;img src=x onerror=alert(1)&gt;.reads -&gt; a&amp;b.bam]"
