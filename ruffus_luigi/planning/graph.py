"""``pipeline_printout_graph``: Ruffus 3.0.0's flowchart, the same ``dot`` text byte for byte.

The chart is computed from the task graph alone (no Luigi): which tasks would
run, which are up to date, which are targets or forced, and any dependency
cycles. Each is drawn in Ruffus' colours, shapes and key. Formats other than
``dot`` are rendered by Graphviz' ``dot`` program, called as Ruffus calls it.
Which tasks are drawn is ``graph_walk``; colours, shapes and key, ``graph_style``.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from ..model import pipeline_calls
from ..model.task import ALL_TASKS, Task
from .graph_style import (
    PREAMBLE,
    attributes_text,
    colour_demo_dot,
    colour_scheme,
    legend,
    node_style,
)
from .graph_walk import reachable, walk_plan
from .luigi_inputs import luigi_inputs
from .plan import prepare
from .strategy_choice import dry_run

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
    scheme = colour_scheme(user_colour_scheme)
    index = {t: i for i, t in enumerate(ALL_TASKS)}
    running = set(to_run)
    grey = scheme["Up-to-date"]["linecolor"]
    out = ['digraph "%s"\n{\n' % pipeline_name, *PREAMBLE, 'graph[clusterrank="local"];\n']
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
        return "t%d" % index[task] + attributes_text(attributes, task.name)

    for task in shown:
        attributes = _shape(task)
        if task in cycle_tasks:
            node_style("Vicious cycle", attributes, scheme, used)
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
                node_style(kind, attributes, scheme, used)
            elif not skip_uptodate_tasks:
                if task in targets:
                    node_style("Up-to-date Final target", attributes, scheme, used)
                elif task in up_to_date:
                    node_style("Up-to-date task", attributes, scheme, used)
                else:
                    node_style("Down stream", attributes, scheme, used)
                    delayed.append(node(task, attributes))
                    delayed.extend(
                        "t%d -> t%d[color=%s, arrowtype=normal];\n" % (index[p], index[task], grey)
                        for p in task.parents
                    )
                    continue
            attributes.update(task.graphviz_attributes)
            out.append(node(task, attributes))
        # the first edge drawn constrains the layout; later grey ones come at the end
        constrained = True
        for parent in sorted(task.parents, key=lambda t: index[t], reverse=True):
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
        out.append(legend(used, minimal_key_legend, scheme))
    out.append("}\n")
    return "".join(out)


# -- rendering --------------------------------------------------------------------------


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
                node_style("Up-to-date task" if complete else "Task to run", attributes, scheme, used)
                out.append("l%d" % n + attributes_text(attributes, ""))
            kind = "Up-to-date" if complete else "Task to run"
            out.append("l%d -> t%d[color=%s];\n" % (n, index[task], scheme[kind]["linecolor"]))
    return out


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
            to_run, uptodate, cycle_edges, cycle_tasks = walk_plan(
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
        reachable(targets, not ignore_upstream_of_target),
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
    text = colour_demo_dot()
    if output_format == "dot":
        _write(stream, text.encode(), text_first=True)
        return
    try:
        data = _render(text, output_format, size, dpi, False)
    except subprocess.CalledProcessError as e:
        # Ruffus reports os.popen's wait status: the exit code shifted left by 8
        raise RuntimeError("dot failed to run with exit code %d" % (e.returncode << 8)) from None
    _write(stream, data, text_first=True)
