"""Every fenced code block of ``docs/*.md`` and ``README.md``, run as the page shows it.

A page's blocks run in order, in one fresh directory per page, so a later block can use
what an earlier one made (a script written by one block, run by the next). What a block
is for is said by an HTML comment on the line just before its opening fence (invisible
in the built site, visible in the doc source):

``<!-- file: NAME -->``
    The block is written to ``NAME`` in the page's directory and not run: a script,
    a ``luigi.cfg`` or a module the following blocks use.
``<!-- run -->``
    Needed for ``bash``/``sh``/``console`` blocks to run at all. ``bash``/``sh``: the
    block runs with ``bash -euo pipefail``. ``console``: each ``$ `` line is a command,
    run as a terminal would (``bash -c``: its exit status is its last command's), which must
    succeed, and every non-empty line shown after it (up to the next ``$ ``) must be a line of
    that command's output (stdout and stderr).
``<!-- run: port 8082 -->``
    As ``run``, with every ``8082`` in the block replaced by a free port, so that a
    luigid the example starts never meets another one on this machine.
``<!-- no-run: REASON -->``
    Not run; the reason says why (needs a cluster, installs system packages, ...).

``python`` blocks run unless marked ``no-run`` or ``file``: each is saved as a script
and run as ``python -m ruffus_luigi run SCRIPT`` (``ruffus-luigi run``), so
``import ruffus`` is ruffus-luigi. Shell blocks run with this interpreter's ``bin``
directory first on ``PATH`` (``python``, ``ruffus-luigi``, ``luigid``) and no
``RUFFUS_LUIGI_*`` variable from outside. Unmarked blocks of other languages (``ini``,
``toml``, text) and unmarked shell blocks are shown, not run.

Each run block must show a visible outcome: a ``python`` block asserts something or
makes or changes a file; a shell block makes or changes a file or prints something.
``test_most_python_blocks_run`` counts the blocks so that ``no-run`` markers cannot
quietly take over (a ``python`` block marked ``file`` counts as run: some later block of
its page must run or import it), and an HTML comment before a fence that is not one of the markers
above is an error (a misspelt marker must not silently skip a block).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
SHELLS = ("bash", "sh", "console")
TIMEOUT = 300

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<lang>[\w+-]*)[^\n]*$")
MARKER = re.compile(r"^\s*<!--\s*(?P<body>.*?)\s*-->\s*$")
PYTHON_RUN_SHARE = 2 / 3  # at least this share of all python blocks must run


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    action: str  # "run", "file", "no-run" or "show"
    arg: str = ""  # file name, no-run reason, or the port to replace

    def where(self) -> str:
        return "%s:%d" % (self.page.relative_to(REPO), self.line)


def parse_marker(body: str, where: str) -> tuple[str, str]:
    if body == "run":
        return "run", ""
    m = re.fullmatch(r"run:\s*port\s+(\d+)", body)
    if m:
        return "run", m.group(1)
    m = re.fullmatch(r"(file|no-run):\s*(\S.*)", body)
    if m:
        return m.group(1), m.group(2)
    raise AssertionError("%s: unknown marker <!-- %s --> before a code block" % (where, body))


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a page, with what their markers say."""
    lines = page.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group("indent"), m.group("fence"), m.group("lang").lower()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1
        where = "%s:%d" % (page.relative_to(REPO), start + 1)
        prev = lines[start - 1] if start > 0 else ""
        marker = MARKER.match(prev)
        if marker:
            action, arg = parse_marker(marker.group("body"), where)
        elif lang == "python":
            action, arg = "run", ""
        else:
            action, arg = "show", ""
        if action == "run" and lang not in ("python", *SHELLS):
            raise AssertionError("%s: only python and shell blocks can run, not %r" % (where, lang))
        found.append(Block(page, start + 1, lang, "\n".join(body) + "\n", action, arg))
    return found


def all_blocks() -> list[Block]:
    return [b for page in PAGES for b in blocks(page)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_") and k != "LUIGI_CONFIG_PATH"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = str(REPO)
    env.pop("PYTHONSTARTUP", None)
    return env


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(directory)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in directory.rglob("*")
        if p.is_file() and not p.name.startswith(".doc_block")
    }


def run_command(args: list[str], cwd: Path, where: str, logs: Path) -> tuple[int, str]:
    """Run in a session of its own; whatever it leaves running (a luigid) is ended afterwards."""
    logs.mkdir(exist_ok=True)
    out_path = logs / ("%s.out" % re.sub(r"\W", "_", where))
    with open(out_path, "w") as out:
        proc = subprocess.Popen(
            args, cwd=cwd, env=environment(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            proc.wait()
    output = out_path.read_text()
    assert code is not None, "%s: still running after %d s:\n%s" % (where, TIMEOUT, output)
    return code, output


def run_block(block: Block, work: Path, logs: Path) -> None:
    where = block.where()
    before = snapshot(work)
    if block.lang == "python":
        script = work / (".doc_block_%d.py" % block.line)
        script.write_text(block.code)
        code, output = run_command([sys.executable, "-m", "ruffus_luigi", "run", script.name], work, where, logs)
        assert code == 0, "%s: the example failed (exit %s):\n%s" % (where, code, output)
        changed = snapshot(work) != before
        assert changed or re.search(r"^\s*assert\b", block.code, re.M), (
            "%s: the example neither asserts anything nor makes a file" % where
        )
        return
    text = block.code
    if block.arg:
        text = text.replace(block.arg, str(free_port()))
    if block.lang == "console":
        commands: list[tuple[str, list[str]]] = []
        for line in text.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands and line.strip():
                commands[-1][1].append(line.rstrip())
        assert commands, "%s: a console block with no '$ ' command" % where
        printed = False
        for command, expected in commands:
            code, output = run_command(["bash", "-c", command], work, where, logs)
            assert code == 0, "%s: `%s` failed (exit %s):\n%s" % (where, command, code, output)
            got = [line.rstrip() for line in output.splitlines()]
            missing = [line for line in expected if line not in got]
            assert not missing, "%s: `%s` did not print %s; it printed:\n%s" % (where, command, missing, output)
            printed = printed or bool(output.strip())
    else:
        code, output = run_command(["bash", "-euo", "pipefail", "-c", text], work, where, logs)
        assert code == 0, "%s: the example failed (exit %s):\n%s" % (where, code, output)
        printed = bool(output.strip())
    assert printed or snapshot(work) != before, "%s: the example neither prints nor makes a file" % where


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    ran = 0
    page_blocks = blocks(page)
    for i, block in enumerate(page_blocks):
        if block.action == "file":
            assert "/" not in block.arg and block.arg not in (".", ".."), "%s: file: takes a plain name" % block.where()
            if block.lang == "python":  # a script or module some later block runs or imports
                stem = block.arg.removesuffix(".py")
                assert any(stem in later.code for later in page_blocks[i + 1 :] if later.action == "run"), (
                    "%s: no later block of the page uses %s" % (block.where(), block.arg)
                )
            (work / block.arg).write_text(block.code)
        elif block.action == "run":
            run_block(block, work, tmp_path / "logs")
            ran += 1
        elif block.action == "no-run":
            assert block.arg.strip(), "%s: no-run needs a reason" % block.where()
    if not ran:
        pytest.skip("no runnable example on this page")


def test_most_python_blocks_run() -> None:
    found = all_blocks()
    python = [b for b in found if b.lang == "python"]
    running = [b for b in python if b.action in ("run", "file")]  # a file is run by a later block
    skipped = [b for b in found if b.action == "no-run"]
    shells_run = [b for b in found if b.lang in SHELLS and b.action == "run"]
    assert len(python) >= 10, "only %d python blocks found: is the parser broken?" % len(python)
    assert len(running) >= PYTHON_RUN_SHARE * len(python), (
        "only %d of %d python blocks run; not run: %s"
        % (len(running), len(python), ", ".join("%s (%s)" % (b.where(), b.arg) for b in python if b.action != "run"))
    )
    assert shells_run, "no shell example runs"
    assert all(b.arg for b in skipped)


def test_markers_are_parsed() -> None:
    assert parse_marker("run", "x") == ("run", "")
    assert parse_marker("run: port 8082", "x") == ("run", "8082")
    assert parse_marker("no-run: needs a Grid Engine", "x") == ("no-run", "needs a Grid Engine")
    assert parse_marker("file: script.py", "x") == ("file", "script.py")
    with pytest.raises(AssertionError, match="unknown marker"):
        parse_marker("runn", "x")
    with pytest.raises(AssertionError, match="unknown marker"):
        parse_marker("no-run", "x")
