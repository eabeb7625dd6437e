"""``pipeline_printout_graph``: the task graph as Graphviz ``dot``.

A plain rendering for now (task nodes, dependency edges, out-of-date tasks
highlighted); Ruffus' exact colours and legend are still to come (issue 6).
"""

from __future__ import annotations

import subprocess
from typing import Any

from .plan import prepare, tasks_to_run


def _dot_text(targets: list, to_run: set, all_tasks: list, vertical: bool, name: str) -> str:
    lines = ["digraph Pipeline {", '    label="%s";' % name]
    lines.append("    rankdir=%s;" % ("TB" if vertical else "LR"))
    for t in all_tasks:
        colour = "blue" if t in to_run else "gray"
        attrs = dict(t.graphviz_attributes)
        attrs.setdefault("label", t._get_display_name())
        attrs.setdefault("color", colour)
        text = ", ".join('%s="%s"' % (k, str(v).replace('"', '\\"')) for k, v in attrs.items())
        lines.append('    t%d [%s];' % (id(t), text))
    for t in all_tasks:
        for p in t._inward:
            lines.append("    t%d -> t%d;" % (id(p), id(t)))
    lines.append("}")
    return "\n".join(lines) + "\n"


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
    size: tuple = (11, 8),
    dpi: int = 120,
    runtime_data: dict | None = None,
    checksum_level: int | None = None,
    history_file: str | None = None,
    pipeline: Any = None,
) -> None:
    """Write the pipeline's flowchart; formats other than ``dot`` go through Graphviz."""
    session = prepare(checksum_level, history_file, pipeline, runtime_data, target_tasks, forcedtorun_tasks)
    try:
        planner = session.planner
        to_run, _ = tasks_to_run(planner, session.targets, session.forced, gnu_make_maximal_rebuild_mode)
        all_tasks, _ = tasks_to_run(planner, session.targets, True, gnu_make_maximal_rebuild_mode)
    finally:
        session.planner.history.close()
    text = _dot_text(session.targets, set(to_run), all_tasks, draw_vertically, pipeline_name)
    close = False
    if isinstance(stream, str):
        stream = open(stream, "wb")
        close = True
    try:
        if output_format is None:
            output_format = stream.name.rsplit(".", 1)[-1]
        data = text.encode()
        if output_format != "dot":
            data = subprocess.run(
                ["dot", "-T" + output_format], input=data, capture_output=True, check=True
            ).stdout
        try:
            stream.write(data)
        except TypeError:
            stream.write(data.decode())
    finally:
        if close:
            stream.close()


def graph_colour_demo_printout(stream: Any, output_format: str, size: str = "11,8", dpi: str = "120") -> None:
    """Ruffus' colour key demo; here a one-node chart in the requested format."""
    data = b'digraph Colours { "Up-to-date" [color=gray]; "Out of date" [color=blue]; }\n'
    if output_format != "dot":
        data = subprocess.run(["dot", "-T" + output_format], input=data, capture_output=True, check=True).stdout
    stream.write(data)
