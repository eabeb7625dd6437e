"""``pipeline_printout_graph``: Ruffus 3.0.0's flowchart, the same ``dot`` text byte for byte.

The chart is computed from the task graph alone (no Luigi): which tasks would
run, which are up to date, which are targets or forced, and any dependency
cycles. Each is drawn in Ruffus' colours, shapes and key. Formats other than
``dot`` are rendered by Graphviz' ``dot`` program, called as Ruffus calls it.

Ruffus walks the graph depth-first from its targets. It keeps them (and each
task's children) in Python sets, so with several targets and branching its node
order can vary from run to run. Here both are taken in task creation order,
which is also the order Ruffus produces most often, so the output is stable.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from typing import Any

from ..model import pipeline_calls
from ..model.pipeline import ALL_TASKS, Task
from .luigi_inputs import luigi_inputs
from .plan import prepare
from .strategy_choice import dry_run

# -- colour schemes -------------------------------------------------------------

#: the number of built-in colour schemes (``user_colour_scheme["colour_scheme_index"]``)
CNT_COLOUR_SCHEMES = 8

#: node kinds in key order, and how the key spells them
_TASK_TYPES = (
    ("Vicious cycle", "Vicious cycle"),
    ("Down stream", "Down stream"),
    ("Up-to-date task", "Up-to-date task"),
    ("Explicitly specified task", "Explicitly specified task"),
    ("Task to run", "Task to run"),
    ("Up-to-date task forced to rerun", "Up-to-date task\\nforced to rerun"),
    ("Up-to-date Final target", "Up-to-date\\nFinal target"),
    ("Final target", "Final target"),
)

# (blue outline, blue, green outline, green, orange, orange outline, red) per scheme;
# None for the orange outline means "the green outline"
_PALETTES: tuple[tuple[str, str, str, str, str, str | None, str], ...] = (
    ('"#0044A0"', '"#EBF3FF"', '"#006000"', '"#B8CC6E"', '"#EFA03B"', None, '"#FF3232"'),
    ('"#000DDF"', "transparent", '"#4B8C2E"', '"#9ED983"', '"#D98100"', '"#D9D911"', '"#D93611"'),
    ('"#4A64A5"', "transparent", '"#4A92A5"', '"#99D1C1"', '"#D2C24A"', None, '"#A54A64"'),
    ('"#BFB5FF"', "transparent", '"#7D8A2E"', '"#C9D787"', '"#FFF1DC"', None, '"#FF3E68"'),
    ('"#004460"', "transparent", '"#4B6000"', '"#B8CC6E"', '"#FFF0A3"', None, '"#F54F29"'),
    ('"#1122FF"', '"#AABBFF"', '"#007700"', '"#44FF44"', '"#EFA03B"', '"#FFCC3B"', '"#FF0000"'),
    ('"#0044A0"', '"#EBF3FF"', "black", '"#6cb924"', '"#ece116"', None, '"#FF3232"'),
    ('"#87BAE4"', "transparent", '"#87B379"', '"#D3FAE3"', '"#FDBA40"', None, '"#b9495e"'),
)


def get_default_colour_scheme(default_colour_scheme_index: int = 0) -> dict[str, dict[str, Any]]:
    """One of Ruffus' eight built-in colour schemes (any other index means the last)."""
    index = default_colour_scheme_index
    palette = next((p for i, p in enumerate(_PALETTES[:-1]) if index == i), _PALETTES[-1])
    blue_line, blue, green_line, green, orange, orange_line, red = palette
    orange_line = orange_line or green_line

    def box(fill: str, font: str, line: str, dashed: int = 0) -> dict[str, Any]:
        return {"fillcolor": fill, "fontcolor": font, "color": line, "dashed": dashed}

    scheme: dict[str, dict[str, Any]] = {
        "Vicious cycle": {"linecolor": red, **box(red, "white", "white")},
        "Pipeline": {"fontcolor": red},
        "Key": {"fontcolor": "black", "fillcolor": '"#F6F4F4"'},
        "Task to run": {"linecolor": blue_line, **box(blue, blue_line, blue_line)},
        "Up-to-date": {"linecolor": "gray"},
        "Final target": box(orange, "black", "black"),
        "Up-to-date task": box(green, green_line, green_line),
        "Down stream": box("white", "gray", "gray"),
        "Explicitly specified task": box("transparent", "black", "black"),
        "Up-to-date task forced to rerun": box("transparent", blue_line, blue_line, 1),
        "Up-to-date Final target": box(orange, orange_line, orange_line),
    }
    if index == 6:
        scheme["Vicious cycle"]["fontcolor"] = "black"
        scheme["Task to run"]["fillcolor"] = '"#5f52ee"'
        scheme["Task to run"]["fontcolor"] = "lightgrey"
        scheme["Up-to-date Final target"]["fontcolor"] = '"#EFA03B"'
    return scheme


def _colour_scheme(user_colour_scheme: dict | None) -> dict[str, dict[str, Any]]:
    """The default scheme (or the user's chosen index) with the user's overrides."""
    if user_colour_scheme is None:
        return get_default_colour_scheme()
    scheme = get_default_colour_scheme(user_colour_scheme.get("colour_scheme_index", 0))
    for key, value in user_colour_scheme.items():
        if key not in scheme:
            continue
        if isinstance(value, dict):
            scheme[key].update(value)
        else:
            scheme[key] = value
    return scheme


# -- dot text pieces ----------------------------------------------------------------


def _attributes_text(attributes: dict[str, Any], name: str) -> str:
    """``[a=b, c=d];`` with the label worked out from the name, prefix and suffix."""
    name = name.replace("__main__.", "")
    if "label" not in attributes:
        attributes["label"] = name.replace("  before ", "\\nbefore ").replace(",  ", ",\n")
    label = attributes["label"]
    html = label[0] == "<"
    if html or label[0] == '"':
        label = label[1:-1]
    label = attributes.pop("label_prefix", "") + label + attributes.pop("label_suffix", "")
    attributes["label"] = "<%s>" % label if html else '"%s"' % label
    return "[%s];\n" % ", ".join("%s=%s" % item for item in sorted(attributes.items()))


def _style(task_type: str, attributes: dict[str, Any], scheme: dict, used: set[str]) -> None:
    """Colour a node as the given kind of task, and note that kind for the key."""
    used.add(task_type)
    colours = scheme[task_type]
    for key in ("fontcolor", "fillcolor", "color"):
        attributes[key] = colours[key]
    attributes["style"] = "dashed" if colours["dashed"] else "filled"


def _key_arrow(from_type: str, to_type: str, n1: str, n2: str, scheme: dict) -> str:
    """The arrow between two neighbouring entries of the key."""
    if "Vicious cycle" in (from_type, to_type):
        red = scheme["Vicious cycle"]["linecolor"]
        arrow = "%s -> %s[color=%s, arrowtype=normal];\n"
        return arrow % (n1, n2, red) + arrow % (n2, n1, red)
    running = (
        "Final target",
        "Task to run",
        "Up-to-date task forced to rerun",
        "Explicitly specified task",
    )
    line = scheme["Task to run" if from_type in running else "Up-to-date"]["linecolor"]
    return "%s -> %s[color=%s, arrowtype=normal];\n" % (n1, n2, line)


def _legend(
    used: set[str],
    minimal_key_legend: bool,
    scheme: dict,
    key_name: str = "Key:",
    index: int = 1,
) -> str:
    """The key: one box per kind of task drawn (or every kind), chained by arrows."""
    if not used:
        return ""
    text = [
        "subgraph clusterkey%d\n{\n" % index,
        'rank="min";\n',
        "style=filled;\n",
        "fontsize=20;\n",
        "color=%s;\n" % scheme["Key"]["fillcolor"],
        'label = "%s";\n' % key_name,
        "fontcolor = %s;" % scheme["Key"]["fontcolor"],
        'node[margin="0.2,0.2", fontsize="14"];\n',
    ]
    kinds = [k for k, _ in _TASK_TYPES if not minimal_key_legend or k in used]
    wrapped = dict(_TASK_TYPES)
    for i, kind in enumerate(kinds):
        attributes: dict[str, Any] = {"shape": "box3d"}
        _style(kind, attributes, scheme, set())
        text.append("k%d_%d" % (i + 1, index) + _attributes_text(attributes, wrapped[kind]))
        if i:
            text.append(
                _key_arrow(
                    kinds[i - 1], kind, "k%d_%d" % (i, index), "k%d_%d" % (i + 1, index), scheme
                )
            )
    text.append("}\n")
    return "".join(text)


def _colour_demo_dot() -> str:
    """Every built-in colour scheme's full key, as Ruffus' colour demo draws them."""
    text = ['digraph "Colour schemes"\n{\n', *_PREAMBLE]
    for index in range(CNT_COLOUR_SCHEMES):
        scheme = get_default_colour_scheme(index)
        text.append(_legend({"t", "e", "s"}, False, scheme, "Colour Scheme %d" % index, index))
    text.append("}\n")
    return "".join(text)


_PREAMBLE = (
    'size="8,11";\n',
    "splines=true;\n",
    'fontsize="30";\n',
    "ranksep = 0.3;\n",
    'node[fontsize="20"];\n',
)

# -- the graph walk -----------------------------------------------------------------

_WHITE, _GRAY, _BLACK = 0, 1, 2
_IGNORE, _NOTE, _END = 0, 1, 2  # what a walk does with up-to-date ("signalling") tasks


def _parents(task: Task) -> list[Task]:
    return task._inward


def _children(task: Task) -> list[Task]:
    return task._outward


class _Walk:
    """One depth-first walk, post-order, recording what Ruffus' walk records.

    In ``_NOTE`` mode up-to-date tasks are only noted; in ``_END`` mode the walk
    stops before them unless they are forced.
    """

    def __init__(
        self,
        mode: int = _IGNORE,
        forced: Iterable[Task] = (),
        up_to_date: Callable[[Task], bool] | None = None,
    ) -> None:
        self.mode = mode
        self.forced = set(forced)
        self.up_to_date = up_to_date
        self.signalling: set[Task] = set()
        self.back_edges: set[tuple[Task, Task]] = set()
        self.back_nodes: set[Task] = set()
        self.examined: list[tuple[Task | None, Task | None, Task | None]] = []
        self.finished: list[Task] = []

    def _stop_before(self, task: Task) -> bool:
        if self.mode == _IGNORE:
            return False
        if self.mode == _NOTE:
            if self.up_to_date(task):
                self.signalling.add(task)
            return False
        if task in self.forced:
            return False
        if self.up_to_date(task):
            self.signalling.add(task)
            return True
        return False

    def run(self, starts: list[Task], edges: Callable[[Task], list[Task]]) -> _Walk:
        """Walk from each start in turn (from every task ever made when there are none)."""
        colour: dict[Task, int] = {}
        for start in starts or list(ALL_TASKS):
            if colour.get(start, _WHITE) == _WHITE:
                self._visit(start, colour, edges)
        return self

    def _visit(self, root: Task, colour: dict[Task, int], edges: Callable) -> None:
        colour[root] = _GRAY
        if self._stop_before(root):
            colour[root] = _BLACK
            return
        stack = [(root, edges(root), 0)]
        while stack:
            node, out, pos = stack.pop()
            while pos < len(out):
                nxt = out[pos]
                pos += 1
                self.examined.append((node, nxt, None))
                seen = colour.get(nxt, _WHITE)
                if self._stop_before(nxt):
                    colour[nxt] = _BLACK
                    continue
                if seen == _WHITE:
                    stack.append((node, out, pos))
                    node, out, pos = nxt, edges(nxt), 0
                    colour[node] = _GRAY
                elif seen == _GRAY:
                    self.back_edges.add((node, nxt))
            colour[node] = _BLACK
            self.examined.append((None, None, node))
            self.finished.append(node)

    def find_cycles(self) -> None:
        """Add every edge and task on a cycle closed by a back edge (Ruffus' way of finding them)."""
        edges = self.examined
        on_cycle: set[tuple[Task, Task]] = set()
        for last, first in self.back_edges:
            pos = 0
            while True:
                start = next((i for i in range(pos, len(edges)) if edges[i][0] == first), None)
                if start is None:
                    break
                pos = start if edges[start][1] == last else start + 1
                for i in range(pos, len(edges)):
                    frm, to, _ = edges[i]
                    if to == last:
                        span = edges[start : i + 1]
                        backtracked = {n for f, t, n in span if t is None}
                        for f, t, _ in span:
                            if f is None or f in backtracked or t in backtracked:
                                continue
                            on_cycle.add((f, t))
                            self.back_nodes.update((f, t))
                        pos = i + 1
                        break
                    if frm == first:
                        pos = i if i > pos else pos + 1
                        break
                else:
                    break
        self.back_edges |= on_cycle


def _with_descendants(tasks: list[Task]) -> list[Task]:
    """The tasks and everything downstream, downstream first."""
    return _Walk().run(tasks, _children).finished


def _reachable(tasks: list[Task], children_as_well: bool) -> list[Task]:
    """The tasks drawn: the targets' ancestors (and their descendants' ancestors)."""
    if children_as_well:
        tasks = _with_descendants(tasks)
    return _Walk().run(tasks, _parents).finished


def _plan(
    targets: list[Task],
    forced: list[Task],
    maximal: bool,
    test_all: bool,
    up_to_date: Callable[[Task], bool],
) -> tuple[list[Task], set[Task], set, set[Task]]:
    """(tasks to run, up-to-date tasks, cycle edges, cycle tasks), as the flowchart sees them."""
    signalling: set[Task] = set()
    if test_all:
        signalling = _Walk(_NOTE, (), up_to_date).run(targets, _parents).signalling
    if maximal:
        walk = _Walk().run(targets, _parents)
        if walk.back_edges:
            walk.find_cycles()
            return walk.finished, walk.signalling, walk.back_edges, walk.back_nodes
        include = set(_with_descendants(forced)) if forced else set()
        for task in walk.finished:
            if task in include:
                continue
            if up_to_date(task):
                signalling.add(task)
            else:
                include.update(_with_descendants([task]))
        return [t for t in walk.finished if t in include], signalling, set(), set()
    must = _with_descendants(forced) if forced else []
    walk = _Walk(_END, must, up_to_date).run(targets, _parents)
    if walk.back_edges:
        walk.find_cycles()
    return walk.finished, signalling | walk.signalling, walk.back_edges, walk.back_nodes


# -- the flowchart ------------------------------------------------------------------


def _shape(task: Task) -> dict[str, Any]:
    if task.kind == "split":
        return {"shape": "house", "peripheries": 2}
    if task.kind == "merge":
        return {"shape": "invhouse", "height": 1.1, "peripheries": 2}
    return {"shape": "box3d"}


def _flowchart(
    to_run: list[Task],
    up_to_date: set[Task],
    cycle_edges: set,
    cycle_tasks: set[Task],
    targets: list[Task],
    forced: list[Task],
    shown: list[Task],
    vertical: bool,
    skip_uptodate_tasks: bool,
    no_key_legend: bool,
    minimal_key_legend: bool,
    user_colour_scheme: dict | None,
    pipeline_name: str,
) -> str:
    """The whole ``dot`` text."""
    scheme = _colour_scheme(user_colour_scheme)
    index = {t: i for i, t in enumerate(ALL_TASKS)}
    running = set(to_run)
    grey = scheme["Up-to-date"]["linecolor"]
    out = ['digraph "%s"\n{\n' % pipeline_name, *_PREAMBLE, 'graph[clusterrank="local"];\n']
    if not vertical:
        out.append('rankdir="LR";\n')
    out.append("subgraph clustertasks\n{\n")
    out.append('rank="min";\n')
    out.append("fontcolor = %s;\n" % scheme["Pipeline"]["fontcolor"])
    out.append('label = "%s";\n' % pipeline_name)
    delayed: list[str] = []
    cycles: list[str] = []
    used: set[str] = set()

    def node(task: Task, attributes: dict[str, Any]) -> str:
        return "t%d" % index[task] + _attributes_text(attributes, task._name)

    for task in shown:
        attributes = _shape(task)
        if task in cycle_tasks:
            _style("Vicious cycle", attributes, scheme, used)
            cycles.append(node(task, attributes))
        else:
            if task in running:
                if task in forced:
                    kind = "Explicitly specified task"
                elif task in targets:
                    kind = "Final target"
                elif task in up_to_date:
                    kind = "Up-to-date task forced to rerun"
                else:
                    kind = "Task to run"
                _style(kind, attributes, scheme, used)
            elif not skip_uptodate_tasks:
                if task in targets:
                    _style("Up-to-date Final target", attributes, scheme, used)
                elif task in up_to_date:
                    _style("Up-to-date task", attributes, scheme, used)
                else:
                    _style("Down stream", attributes, scheme, used)
                    delayed.append(node(task, attributes))
                    delayed.extend(
                        "t%d -> t%d[color=%s, arrowtype=normal];\n" % (index[p], index[task], grey)
                        for p in task._inward
                    )
                    continue
            attributes.update(task.graphviz_attributes)
            out.append(node(task, attributes))
        # the first edge drawn constrains the layout; later grey ones come at the end
        constrained = True
        for parent in sorted(task._inward, key=lambda t: index[t], reverse=True):
            if (task, parent) in cycle_edges:
                extra = ", constraint=false" if index[parent] > index[task] else ""
                cycles.append(
                    "t%d -> t%d[color=%s %s];\n"
                    % (index[parent], index[task], scheme["Vicious cycle"]["linecolor"], extra)
                )
                continue
            if parent not in running or task not in running:
                if not skip_uptodate_tasks:
                    edge = "t%d -> t%d[color=%s, arrowtype=normal];\n" % (
                        index[parent],
                        index[task],
                        grey,
                    )
                    (out if constrained else delayed).append(edge)
            else:
                out.append(
                    "t%d -> t%d[color=%s];\n"
                    % (index[parent], index[task], scheme["Task to run"]["linecolor"])
                )
            constrained = False
    out.extend(_luigi_input_nodes(shown, index, scheme, used, skip_uptodate_tasks))
    out.extend(delayed)
    out.extend(cycles)
    out.append("}\n")
    if not no_key_legend:
        out.append(_legend(used, minimal_key_legend, scheme))
    out.append("}\n")
    return "".join(out)


def _luigi_input_nodes(
    shown: list[Task], index: dict[Task, int], scheme: dict, used: set[str], skip_uptodate_tasks: bool
) -> list[str]:
    """A note for each hand-written Luigi task the shown tasks read, with an arrow to each reader.

    Coloured as a task to run while it is not complete, as an up-to-date task once it is.
    """
    out: list[str] = []
    numbers: dict[str, int] = {}
    for task in shown:
        for luigi_task in luigi_inputs(task):
            complete = luigi_task.complete()
            if complete and skip_uptodate_tasks:
                continue
            n = numbers.get(luigi_task.task_id)
            if n is None:
                n = numbers[luigi_task.task_id] = len(numbers)
                label = ("Luigi: %s" % luigi_task).replace("\\", "\\\\").replace('"', '\\"')
                attributes: dict[str, Any] = {"shape": "note", "label": '"%s"' % label}
                _style("Up-to-date task" if complete else "Task to run", attributes, scheme, used)
                out.append("l%d" % n + _attributes_text(attributes, ""))
            kind = "Up-to-date" if complete else "Task to run"
            out.append("l%d -> t%d[color=%s];\n" % (n, index[task], scheme[kind]["linecolor"]))
    return out


# -- rendering --------------------------------------------------------------------------


def _render(dot_text: str, output_format: str, size: Any, dpi: Any, check_size: bool) -> bytes:
    """Graphviz' rendering of the dot text, as Ruffus runs ``dot`` (svg patched as Ruffus does)."""
    if not check_size:
        print_size = str(size)
    elif isinstance(size, tuple):
        print_size = "(%d,%d)" % size
    elif isinstance(size, str):
        print_size = size
    else:
        raise Exception(
            "Flowchart print size [%s] should be specified as a tuple of X,Y in inches" % str(size)
        )
    args = ["dot", "-Gsize=%s" % print_size]
    if output_format != "svg":
        args.append("-Gdpi=%s" % dpi)
    args.append("-T%s" % output_format)
    command = "dot -Gsize='%s' %s -T%s" % (
        print_size,
        "-Gdpi='%s'" % dpi if output_format != "svg" else "",
        output_format,
    )
    try:
        done = subprocess.run(args, input=dot_text.encode(), capture_output=True)
    except FileNotFoundError as e:  # the shell Ruffus uses answers 127
        raise subprocess.CalledProcessError(127, command + "\n" + str(e)) from None
    if done.returncode:
        raise subprocess.CalledProcessError(
            done.returncode, command + "\n" + "\n".join([str(done.stdout), str(done.stderr)])
        )
    result = done.stdout
    if output_format == "svg":  # Ruffus' workaround for Firefox font sizes
        result = result.decode().replace("0.12", "0.0px").encode()
    return result


def _write(stream: Any, data: bytes, text_first: bool = False) -> None:
    """Write bytes, or text to a stream that takes only text (text first if asked)."""
    if text_first:
        try:
            stream.write(data.decode())
            return
        except (TypeError, UnicodeDecodeError):
            pass
    try:
        stream.write(data)
    except TypeError:
        stream.write(data.decode())


def pipeline_printout_graph(
    stream: Any,
    output_format: str | None = None,
    target_tasks: Any = [],  # noqa: B006 - Ruffus' signature
    forcedtorun_tasks: Any = [],  # noqa: B006
    draw_vertically: bool = True,
    ignore_upstream_of_target: bool = False,
    skip_uptodate_tasks: bool = False,
    gnu_make_maximal_rebuild_mode: bool = True,
    test_all_task_for_update: bool = True,
    no_key_legend: bool = False,
    minimal_key_legend: bool = True,
    user_colour_scheme: dict | None = None,
    pipeline_name: str = "Pipeline:",
    size: Any = (11, 8),
    dpi: Any = 120,
    runtime_data: dict | None = None,
    checksum_level: int | None = None,
    history_file: str | None = None,
    pipeline: Any = None,
    checkpoint: Any = None,
    keep: Any = None,
) -> None:
    """Write the pipeline's flowchart to a binary stream or a file name.

    The format defaults to the file name's extension; ``dot`` is written as
    text, anything else is rendered by Graphviz' ``dot`` program. ``checkpoint`` and
    ``keep`` as ``pipeline_run`` takes them: the strategies say which tasks are up to date.
    """
    pipeline_calls.intercept(locals())
    session = prepare(
        checksum_level, history_file, pipeline, runtime_data, target_tasks, forcedtorun_tasks
    )
    planner = session.planner
    # Ruffus iterates its targets as a set; creation order is its most frequent outcome
    created = {t: i for i, t in enumerate(ALL_TASKS)}
    targets = sorted(session.targets, key=lambda t: created.get(t, len(created)))
    forced = session.forced
    known: dict[Task, bool] = {}

    def up_to_date(task: Task) -> bool:
        if task not in known:
            known[task] = planner.task_is_up_to_date(task)
        return known[task]

    try:
        with dry_run(session, history_file, checkpoint, keep):
            to_run, uptodate, cycle_edges, cycle_tasks = _plan(
                targets, forced, gnu_make_maximal_rebuild_mode, test_all_task_for_update, up_to_date
            )
    finally:
        planner.history.close()
    text = _flowchart(
        to_run,
        uptodate,
        cycle_edges,
        cycle_tasks,
        targets,
        forced,
        _reachable(targets, not ignore_upstream_of_target),
        draw_vertically,
        skip_uptodate_tasks,
        no_key_legend,
        minimal_key_legend,
        user_colour_scheme,
        pipeline_name,
    )
    close = False
    if isinstance(stream, (str, os.PathLike)):
        stream = open(stream, "wb")
        close = True
    try:
        if output_format is None:
            output_format = os.path.splitext(stream.name)[1].lstrip(".")
        if output_format == "dot":
            _write(stream, text.encode())
        else:
            _write(stream, _render(text, output_format, size, dpi, True))
    finally:
        if close:
            stream.close()


def graph_colour_demo_printout(
    stream: Any, output_format: str, size: str = "11,8", dpi: str = "120"
) -> None:
    """Draw every built-in colour scheme's key (text for ``dot``, else rendered by Graphviz)."""
    text = _colour_demo_dot()
    if output_format == "dot":
        _write(stream, text.encode(), text_first=True)
        return
    try:
        data = _render(text, output_format, size, dpi, False)
    except subprocess.CalledProcessError as e:
        # Ruffus reports os.popen's wait status: the exit code shifted left by 8
        raise RuntimeError("dot failed to run with exit code %d" % (e.returncode << 8)) from None
    _write(stream, data, text_first=True)
