"""How Ruffus 3.0.0's flowchart looks: colour schemes, node styles and the key, as ``dot`` text."""

from __future__ import annotations

from typing import Any

#: the number of built-in colour schemes (``user_colour_scheme["colour_scheme_index"]``)
CNT_COLOUR_SCHEMES = 8

#: node kinds in key order, and how the key spells them
TASK_TYPES = (
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


def colour_scheme(user_colour_scheme: dict | None) -> dict[str, dict[str, Any]]:
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


def attributes_text(attributes: dict[str, Any], name: str) -> str:
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


def node_style(task_type: str, attributes: dict[str, Any], scheme: dict, used: set[str]) -> None:
    """Colour a node as the given kind of task, and note that kind for the key."""
    used.add(task_type)
    colours = scheme[task_type]
    for key in ("fontcolor", "fillcolor", "color"):
        attributes[key] = colours[key]
    attributes["style"] = "dashed" if colours["dashed"] else "filled"


def key_arrow(from_type: str, to_type: str, n1: str, n2: str, scheme: dict) -> str:
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


def legend(
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
    kinds = [k for k, _ in TASK_TYPES if not minimal_key_legend or k in used]
    wrapped = dict(TASK_TYPES)
    for i, kind in enumerate(kinds):
        attributes: dict[str, Any] = {"shape": "box3d"}
        node_style(kind, attributes, scheme, set())
        text.append("k%d_%d" % (i + 1, index) + attributes_text(attributes, wrapped[kind]))
        if i:
            text.append(
                key_arrow(
                    kinds[i - 1], kind, "k%d_%d" % (i, index), "k%d_%d" % (i + 1, index), scheme
                )
            )
    text.append("}\n")
    return "".join(text)


def colour_demo_dot() -> str:
    """Every built-in colour scheme's full key, as Ruffus' colour demo draws them."""
    text = ['digraph "Colour schemes"\n{\n', *PREAMBLE]
    for index in range(CNT_COLOUR_SCHEMES):
        scheme = get_default_colour_scheme(index)
        text.append(legend({"t", "e", "s"}, False, scheme, "Colour Scheme %d" % index, index))
    text.append("}\n")
    return "".join(text)


PREAMBLE = (
    'size="8,11";\n',
    "splines=true;\n",
    'fontsize="30";\n',
    "ranksep = 0.3;\n",
    'node[fontsize="20"];\n',
)

