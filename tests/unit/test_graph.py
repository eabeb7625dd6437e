"""``pipeline_printout_graph``: the dot text must be Ruffus 3.0.0's, byte for byte.

Each scenario is a small script run twice in subprocesses, once under real
Ruffus (plain ``python3``) and once under ruffus-luigi (the ``ruffus`` import
alias first on PYTHONPATH), each in its own fresh directory. The scripts write
their flowcharts to stdout, and the two outputs are compared byte for byte.

Ruffus keeps its targets (and each task's children) in Python sets, so when
several targets reach a branching graph its node order varies between runs.
The scenarios with branches either give a single target, which makes Ruffus
deterministic, or compare the lines without their order.
"""

from __future__ import annotations

import difflib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ruffus_luigi.planning import graph, graph_style

REPO = Path(__file__).resolve().parents[2]
SEPARATOR = b"\n=====\n"

PRELUDE = '''
import io, os, sys
from ruffus import *

def touch(path, when=None):
    """Make a file, optionally with a fixed modification time."""
    with open(path, "w"):
        pass
    if when is not None:
        os.utime(path, (when, when))

def graph(**options):
    """Print the dot flowchart of the pipeline, then a separator."""
    stream = io.BytesIO()
    pipeline_printout_graph(stream, "dot", **options)
    sys.stdout.buffer.write(stream.getvalue() + b"\\n=====\\n")
'''


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _require(ok: bool, what: str) -> None:
    """Skip when a tool is missing, but fail under CI where it must be installed."""
    if ok:
        return
    if _in_ci():
        pytest.fail(f"{what} is required when CI=true")
    pytest.skip(f"{what} is not available")


def _has_real_ruffus() -> bool:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", "import ruffus; assert ruffus.__version__ == '3.0.0'"],
        env=env,
        cwd="/",
        capture_output=True,
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def real_ruffus() -> None:
    _require(_has_real_ruffus(), "ruffus 3.0.0 in the system python")


def run_script(impl: str, body: str, workdir: Path) -> subprocess.CompletedProcess:
    """Run the prelude plus body in workdir under real Ruffus or ruffus-luigi."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.pop("DEFAULT_RUFFUS_HISTORY_FILE", None)
    env.pop("DEFAULT_RUFFUS_CHECKSUM_LEVEL", None)
    if impl == "ruffus_luigi":
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "ruffus_luigi" / "shim"), str(REPO)])
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "flowchart.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, script.name], cwd=workdir, env=env, capture_output=True, timeout=300
    )


def both(tmp_path: Path, body: str) -> tuple[bytes, bytes]:
    """The stdout of the script under Ruffus and under ruffus-luigi (both must succeed)."""
    outputs = []
    for impl in ("ruffus", "ruffus_luigi"):
        done = run_script(impl, body, tmp_path / impl)
        assert done.returncode == 0, f"{impl} failed:\n{done.stderr.decode()}"
        outputs.append(done.stdout)
    return outputs[0], outputs[1]


def _diff(expected: bytes, actual: bytes) -> str:
    return "\n".join(
        difflib.unified_diff(
            expected.decode().splitlines(),
            actual.decode().splitlines(),
            "ruffus",
            "ruffus_luigi",
            lineterm="",
        )
    )


def assert_same(tmp_path: Path, body: str, count: int) -> list[bytes]:
    """Both implementations print the same ``count`` flowcharts, byte for byte."""
    expected, actual = both(tmp_path, body)
    assert expected == actual, _diff(expected, actual)
    charts = expected.split(SEPARATOR)
    assert charts[-1] == b"" and len(charts) == count + 1
    return charts[:-1]


# -- pipelines --------------------------------------------------------------------

CHAIN = """
@originate(["a.start", "b.start"])
def make(output):
    touch(output)

@transform(make, suffix(".start"), ".middle")
def step(input, output):
    touch(output)

@transform(step, suffix(".middle"), ".end")
def finish(input, output):
    touch(output)

@merge(finish, "all.summary")
def summarise(inputs, output):
    touch(output)
"""

# files on disk: everything up to date except what the scenario makes stale
CHAIN_FILES = """
for n, name in enumerate(["a.start", "b.start", "a.middle", "b.middle",
                          "a.end", "b.end", "all.summary"]):
    touch(name, 1000000 + 100 * n)
"""

DIAMOND = """
@originate(["x.1"])
def top(output):
    touch(output)

@split(top, ["x.left", "x.right"])
def fork(input, outputs):
    for o in outputs:
        touch(o)

@transform(fork, suffix(".left"), ".l2")
def left(input, output):
    touch(output)

@transform(top, suffix(".1"), ".r2")
def right(input, output):
    touch(output)

@collate([left, right], regex(r"(x)\\..*"), r"\\1.joined")
def join(inputs, output):
    touch(output)

@follows(join)
@merge([join, right], "x.final")
def final(inputs, output):
    touch(output)
"""


def test_chain_defaults_and_options(tmp_path: Path, real_ruffus: None) -> None:
    body = (
        CHAIN
        + """
graph()
graph(draw_vertically=False)
graph(no_key_legend=True)
graph(minimal_key_legend=False)
graph(pipeline_name="My flowchart")
graph(target_tasks=[step])
graph(target_tasks=["step"], ignore_upstream_of_target=True)
graph(target_tasks=[step], forcedtorun_tasks=[make])
graph(skip_uptodate_tasks=True)
graph(gnu_make_maximal_rebuild_mode=False, target_tasks=[finish])
graph(test_all_task_for_update=False)
"""
    )
    charts = assert_same(tmp_path, body, 11)
    assert b'rankdir="LR";' in charts[1] and b"rankdir" not in charts[0]
    assert b"clusterkey" not in charts[2]
    assert charts[3].count(b"\nk8_1[") == 1
    assert charts[4].startswith(b'digraph "My flowchart"')


def test_colour_schemes(tmp_path: Path, real_ruffus: None) -> None:
    body = CHAIN + CHAIN_FILES + "touch('a.middle', 2000000)\n"
    for index in range(9):
        body += f"graph(user_colour_scheme={{'colour_scheme_index': {index}}}, minimal_key_legend=False, checksum_level=0)\n"
    body += """
graph(user_colour_scheme={"Task to run": {"fillcolor": "blue", "dashed": 1},
                          "Final target": {"fontcolor": '"#123456"'},
                          "Up-to-date": {"linecolor": "green"},
                          "Pipeline": {"fontcolor": "pink"},
                          "Key": {"fillcolor": "yellow", "fontcolor": "red"},
                          "Not a key": {"color": "red"}},
      checksum_level=0, minimal_key_legend=False)
graph(user_colour_scheme={"colour_scheme_index": 6, "Vicious cycle": {"linecolor": "red"}},
      checksum_level=0)
"""
    assert_same(tmp_path, body, 11)


def test_up_to_date_and_out_of_date_files(tmp_path: Path, real_ruffus: None) -> None:
    body = (
        CHAIN
        + CHAIN_FILES
        + """
graph(checksum_level=0)
graph(checksum_level=0, target_tasks=[finish])
graph(checksum_level=0, forcedtorun_tasks=[step])
graph(checksum_level=0, forcedtorun_tasks=[make], target_tasks=[finish])
graph(checksum_level=0, skip_uptodate_tasks=True)
graph(checksum_level=0, target_tasks=[step], ignore_upstream_of_target=True)
touch("a.middle", 2000000)   # newer than a.end: finish and summarise are out of date
graph(checksum_level=0)
graph(checksum_level=0, target_tasks=[step])
graph(checksum_level=0, target_tasks=[finish], ignore_upstream_of_target=True)
graph(checksum_level=0, skip_uptodate_tasks=True)
graph(checksum_level=0, gnu_make_maximal_rebuild_mode=False, target_tasks=[summarise])
graph(checksum_level=0, test_all_task_for_update=False)
graph(checksum_level=0, forcedtorun_tasks=[make])
graph(checksum_level=0, forcedtorun_tasks=["step"], gnu_make_maximal_rebuild_mode=False)
graph(checksum_level=0, minimal_key_legend=False, draw_vertically=False)
graph()   # checksum level 1: no history, so everything is out of date again
"""
    )
    charts = assert_same(tmp_path, body, 16)
    assert b'label="Up-to-date\\nFinal target"' in charts[0]
    assert b'label="Final target"' in charts[6]
    assert b'label="Up-to-date task"' in charts[7] and b'label="Down stream"' in charts[7]


def test_after_a_real_run(tmp_path: Path, real_ruffus: None) -> None:
    """Up-to-date state from each implementation's own run and job history."""
    body = (
        CHAIN
        + """
pipeline_run(verbose=0, multiprocess=1)
graph()
graph(target_tasks=[finish], forcedtorun_tasks=[step])
touch("b.start")
graph()
"""
    )
    assert_same(tmp_path, body, 3)


def test_branches_split_merge_collate(tmp_path: Path, real_ruffus: None) -> None:
    body = (
        DIAMOND
        + """
graph(target_tasks=[final])
graph(target_tasks=[final], forcedtorun_tasks=[fork])
graph(target_tasks=[join], ignore_upstream_of_target=True)
graph(target_tasks=[final], gnu_make_maximal_rebuild_mode=False)
pipeline_run([left], verbose=0)
graph(target_tasks=[final])
graph(target_tasks=[final], skip_uptodate_tasks=True)
graph(target_tasks=[final], minimal_key_legend=False, draw_vertically=False)
"""
    )
    charts = assert_same(tmp_path, body, 7)
    assert b"shape=house" in charts[0] and b"shape=invhouse" in charts[0]


def test_other_task_kinds(tmp_path: Path, real_ruffus: None) -> None:
    """Shapes and labels of every other kind of task, including one from another module."""
    body = """
with open("helpers.py", "w") as f:
    f.write("def copy(input, output):\\n    open(output, 'w').close()\\n")
import helpers
from ruffus.combinatorics import combinations, product

@files(None, "f.1")
def from_files(input, output):
    touch(output)

@split(from_files, regex(r"(.+)\\.1"), [r"\\1.a.2", r"\\1.b.2"])
def old_subdivide(input, outputs):
    pass

@subdivide(old_subdivide, formatter(), "{path[0]}/{basename[0]}.*.3")
def divide(input, outputs):
    pass

@product(divide, formatter(), [old_subdivide], formatter(), "{basename[0][0]}.{basename[1][0]}.4")
def cross(inputs, output):
    touch(output)

@combinations(cross, formatter(), 2, "{basename[0][0]}.{basename[1][0]}.5")
def pairs(inputs, output):
    touch(output)

@parallel([["p", 1], ["q", 2]])
@follows(pairs)
def parallel_jobs(name, n):
    pass

Pipeline.pipelines["main"].transform(helpers.copy, old_subdivide, suffix(".2"), ".6")

@follows(parallel_jobs, "helpers.copy")
@files_re("*.6", r"(.+)\\.6", combine(r"\\1.6"), "combined.7")
def legacy(inputs, output):
    touch(output)

graph(target_tasks=[legacy])
graph(target_tasks=[legacy], forcedtorun_tasks=["helpers.copy"], gnu_make_maximal_rebuild_mode=False)
"""
    charts = assert_same(tmp_path, body, 2)
    assert b'label="helpers.copy"' in charts[0]


def test_several_targets_on_branches_same_lines(tmp_path: Path, real_ruffus: None) -> None:
    """Ruffus' own order varies here; the lines drawn must still be the same."""
    expected, actual = both(tmp_path, DIAMOND + "graph()\ngraph(forcedtorun_tasks=[right])\n")
    assert sorted(expected.splitlines()) == sorted(actual.splitlines()), _diff(expected, actual)


def test_graphviz_attributes(tmp_path: Path, real_ruffus: None) -> None:
    body = """
@graphviz(label="<Start <B>here</B>>", label_prefix="1: ", label_suffix="!",
          URL='"http://example.com"', shape="component", height=1.5, peripheries=3)
@originate(["g.1"])
def begin(output):
    touch(output)

@graphviz(label='"quoted label"', fillcolor='"#FFCCCC"', style="dashed")
@transform(begin, suffix(".1"), ".2")
def middle(input, output):
    touch(output)

@transform(middle, suffix(".2"), ".3")
@graphviz(shape="ellipse", label_suffix=" (last)")
def end(input, output):
    touch(output)

@follows(end)
@graphviz(color="red")
def downstream():
    pass

graph(target_tasks=[end])
graph(target_tasks=[end], forcedtorun_tasks=[begin])
graph(target_tasks=["end"], skip_uptodate_tasks=True)
graph()
touch("g.1", 1000); touch("g.2", 2000); touch("g.3", 3000)
graph(checksum_level=0)
graph(checksum_level=0, target_tasks=[end])
"""
    charts = assert_same(tmp_path, body, 6)
    assert b"label=<1: Start <B>here</B>!>" in charts[0]
    assert b'label="quoted label"' in charts[0]


def test_oop_graphviz_and_sub_pipelines(tmp_path: Path, real_ruffus: None) -> None:
    body = """
def make(output):
    touch(output)

def step(input, output):
    touch(output)

def gather(inputs, output):
    touch(output)

sub = Pipeline("sub")
sub.originate(make, ["s.a", "s.b"])
sub.transform(step, make, suffix(".a"), ".c")
sub.set_head_tasks([sub[make]])
sub.set_tail_tasks([sub[step]])
# Ruffus clones a pipeline's tasks in set order (their numbers vary), so clone just one
single = Pipeline("single")
single.originate(make, ["one.a"])
single.set_head_tasks([single[make]])
single.set_tail_tasks([single[make]])
other = single.clone("other")
other.set_output(output=["o.a"])

main = Pipeline("top")
main.merge(gather, [sub, other], "everything.txt").graphviz(label="gather all", shape="octagon")
main.transform(name="after", task_func=step, input=gather, filter=suffix(".txt"), output=".done")

graph(pipeline=main)
graph(pipeline=main, target_tasks=["after"])
graph(pipeline="sub")
graph(target_tasks=["sub::step"], pipeline=main)
graph(pipeline=main, forcedtorun_tasks=["other::make"], draw_vertically=False)
main.printout_graph(io.BytesIO(), "dot")
stream = io.BytesIO()
main.printout_graph(stream, "dot", ["after"], no_key_legend=True)
sys.stdout.buffer.write(stream.getvalue() + b"\\n=====\\n")
"""
    assert_same(tmp_path, body, 6)


def test_cloned_task_loses_graphviz_attributes(tmp_path: Path, real_ruffus: None) -> None:
    body = """
def make(output):
    touch(output)

sub = Pipeline("sub")
sub.originate(make, ["s.a"]).graphviz(label="made", shape="octagon")
other = sub.clone("other")
graph(pipeline=other)
"""
    assert_same(tmp_path, body, 1)


def test_inactive_tasks_and_mkdir(tmp_path: Path, real_ruffus: None) -> None:
    body = """
switch = [False]

@mkdir("out")
@originate(["out/a.1"])
def start(output):
    touch(output)

@active_if(lambda: switch[0])
@transform(start, suffix(".1"), ".2")
def sometimes(input, output):
    touch(output)

@active_if(False)
@follows(mkdir("other", "third"))   # a second @follows(mkdir) would make Ruffus' numbering vary
@transform(sometimes, suffix(".2"), ".3")
def never(input, output):
    touch(output)

@follows(never)
@merge([start, sometimes], "out/all.4")
def last(inputs, output):
    touch(output)

graph(target_tasks=[last])
graph(target_tasks=[last], gnu_make_maximal_rebuild_mode=False)
switch[0] = True
graph(target_tasks=[last])
graph(target_tasks=[last], minimal_key_legend=False)
"""
    charts = assert_same(tmp_path, body, 4)
    assert b"\\nbefore start" in charts[0]


def test_dependency_cycle(tmp_path: Path, real_ruffus: None) -> None:
    body = """
@parallel([["a", 1]])
@follows("c")
def a(x, y):
    pass

@parallel([["b", 1]])
@follows(a)
def b(x, y):
    pass

@parallel([["c", 1]])
@follows(b)
def c(x, y):
    pass

@parallel([["d", 1]])
@follows(c)
def d(x, y):
    pass

graph(target_tasks=[d])
graph(target_tasks=[d], gnu_make_maximal_rebuild_mode=False)
graph(target_tasks=[d], minimal_key_legend=False)
"""
    charts = assert_same(tmp_path, body, 3)
    assert b"Vicious cycle" in charts[0] and b"constraint=false" in charts[0]


def _random_pipelines(seed: int, count: int) -> str:
    """Script text: random task graphs (cycles too), each in its own pipeline, then charts.

    Each chart has one target and ignores its downstream tasks, which is where
    Ruffus' own output does not depend on set order.
    """
    rnd = random.Random(seed)
    lines = ["def job(a, b):\n    pass\n"]
    for p in range(count):
        n = rnd.randint(2, 9)
        backwards = rnd.choice([0.0, 0.0, 0.05, 0.15])
        lines.append(f"p = Pipeline('p{p}')")
        for i in range(n):
            lines.append(f"t{i} = p.parallel(job, [['j{i}', 1]], name='t{i}')")
            lines.append(f"t{i}.check_if_uptodate(lambda *a: ({rnd.random() < 0.5}, ''))")
            if rnd.random() < 0.1:
                lines.append(f"t{i}.active_if(False)")
        for i in range(n):
            parents = [
                f"t{j}" for j in range(n) if j != i and rnd.random() < (0.4 if j < i else backwards)
            ]
            if parents:
                lines.append(f"t{i}.follows({', '.join(parents)})")
        for _ in range(3):
            options = {
                "forcedtorun_tasks": [f"t{j}" for j in range(n) if rnd.random() < 0.15],
                "gnu_make_maximal_rebuild_mode": rnd.random() < 0.5,
                "test_all_task_for_update": rnd.random() < 0.5,
                "skip_uptodate_tasks": rnd.random() < 0.2,
                "minimal_key_legend": rnd.random() < 0.7,
                "draw_vertically": rnd.random() < 0.8,
            }
            text = ", ".join(
                f"{k}=[{', '.join(v)}]" if isinstance(v, list) else f"{k}={v}"
                for k, v in options.items()
            )
            target = rnd.randrange(n)
            lines.append(
                f"graph(target_tasks=[t{target}], ignore_upstream_of_target=True, pipeline=p, {text})"
            )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_random_graphs(tmp_path: Path, real_ruffus: None, seed: int) -> None:
    charts = assert_same(tmp_path, _random_pipelines(seed, 12), 36)
    cycles = [c for c in charts if re.search(rb"\nt\d+\[color=white, fillcolor=", c)]
    assert cycles and any(b", constraint=false]" in c for c in cycles)


def test_file_name_stream_and_format_from_extension(tmp_path: Path, real_ruffus: None) -> None:
    body = (
        CHAIN
        + """
pipeline_printout_graph("chart.dot")
with open("chart.dot", "rb") as f:
    sys.stdout.buffer.write(f.read() + b"\\n=====\\n")
with open("stream.dot", "wb") as f:
    pipeline_printout_graph(f, target_tasks=[finish])
with open("stream.dot", "rb") as f:
    sys.stdout.buffer.write(f.read() + b"\\n=====\\n")
"""
    )
    assert_same(tmp_path, body, 2)


def test_colour_demo_dot(tmp_path: Path, real_ruffus: None) -> None:
    body = """
stream = io.StringIO()
graph_colour_demo_printout(stream, "dot")
sys.stdout.buffer.write(stream.getvalue().encode() + b"\\n=====\\n")
"""
    charts = assert_same(tmp_path, body, 1)
    assert charts[0].count(b"subgraph clusterkey") == 8


# -- rendering through Graphviz ---------------------------------------------------------


@pytest.fixture
def dot_program() -> None:
    _require(shutil.which("dot") is not None, "Graphviz 'dot'")


def test_svg_and_png_like_ruffus(tmp_path: Path, real_ruffus: None, dot_program: None) -> None:
    body = (
        CHAIN
        + """
for name in ("chart.svg", "chart.png"):
    pipeline_printout_graph(name, target_tasks=[finish])
    with open(name, "rb") as f:
        sys.stdout.buffer.write(f.read() + b"\\n=====\\n")
stream = io.BytesIO()
pipeline_printout_graph(stream, "svg", size="5,5", dpi=50)
sys.stdout.buffer.write(stream.getvalue() + b"\\n=====\\n")
text = io.StringIO()   # Ruffus' colour demo writes text
graph_colour_demo_printout(text, "svg")
sys.stdout.buffer.write(text.getvalue().encode() + b"\\n=====\\n")
"""
    )
    charts = assert_same(tmp_path, body, 4)
    assert b"<svg" in charts[0] and b"0.12" not in charts[0]
    assert charts[1].startswith(b"\x89PNG")


def test_unknown_format_raises_like_ruffus(
    tmp_path: Path, real_ruffus: None, dot_program: None
) -> None:
    body = (
        CHAIN
        + """
import subprocess
try:
    pipeline_printout_graph(io.BytesIO(), "no_such_format")
except subprocess.CalledProcessError as e:
    print("CalledProcessError", e.returncode)
try:
    pipeline_printout_graph(io.BytesIO(), "svg", size=[3, 4])
except Exception as e:
    print(type(e).__name__, e)
"""
    )
    expected, actual = both(tmp_path, body)
    assert expected == actual
    assert expected.startswith(b"CalledProcessError 1\n")


def test_render_in_process(tmp_path: Path, dot_program: None) -> None:
    """The renderer on its own: svg patched as Ruffus does, png bytes, bad formats."""
    text = graph_style.colour_demo_dot()
    svg = graph._render(text, "svg", (11, 8), 120, True)
    assert svg.startswith(b"<?xml") and b"0.12" not in svg
    png = graph._render(text, "png", "4,4", 30, True)
    assert png.startswith(b"\x89PNG")
    with pytest.raises(subprocess.CalledProcessError) as err:
        graph._render(text, "no_such_format", (11, 8), 120, True)
    assert "dot -Gsize='(11,8)' -Gdpi='120' -Tno_such_format" in str(err.value.cmd)
    stream = io.BytesIO()
    graph.graph_colour_demo_printout(stream, "png")
    assert stream.getvalue().startswith(b"\x89PNG")
    with pytest.raises(RuntimeError):
        graph.graph_colour_demo_printout(io.BytesIO(), "no_such_format")


def test_missing_dot_is_a_called_process_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(subprocess.CalledProcessError) as err:
        graph._render("digraph {}", "svg", (11, 8), 120, True)
    assert err.value.returncode == 127


# -- pieces, in process ---------------------------------------------------------------


def test_attribute_text() -> None:
    attrs = {"shape": "box3d", "label_prefix": "<", "label_suffix": ">"}
    assert graph_style.attributes_text(attrs, "__main__.mkdir('a',  'b')   before x ") == (
        "[label=\"<mkdir('a',\n'b') \\nbefore x >\", shape=box3d];\n"
    )
    assert graph_style.attributes_text({"label": "<<I>x</I>>"}, "ignored") == "[label=<<I>x</I>>];\n"


def test_default_colour_scheme_indexes() -> None:
    assert graph_style.get_default_colour_scheme(0)["Task to run"]["color"] == '"#0044A0"'
    assert graph_style.get_default_colour_scheme(6)["Task to run"]["fontcolor"] == "lightgrey"
    assert graph_style.get_default_colour_scheme(99) == graph_style.get_default_colour_scheme(7)
    assert graph_style.get_default_colour_scheme(1)["Up-to-date Final target"]["color"] == '"#D9D911"'
