"""Progress in real runs: a live line on a terminal (a pseudo-terminal here), nothing extra in a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_progress import screen  # noqa: E402

ERASE = "\r\x1b[K"
STATUS = "[ruffus-luigi] tasks"

SCRIPT = '''\
import os
import time

from ruffus import cmdline, merge, originate, suffix, transform

parser = cmdline.get_argparse(description="progress")
options = parser.parse_args()
N = int(os.environ.get("DEMO_N", "20"))
LOG = os.environ.get("DEMO_LOG")
if LOG:
    logger, mutex = cmdline.setup_logging(__name__, options.log_file, options.verbose)


@originate(["a%03d.start" % i for i in range(N)])
def make(out):
    open(out, "w").close()


@transform(make, suffix(".start"), ".mid")
def mid(inp, out):
    time.sleep(0.05)
    open(out, "w").close()
    if LOG:
        with mutex:
            logger.info("logged " + out)
        print("printed " + out)


@merge(mid, "all.done")
def done(inps, out):
    open(out, "w").close()


if LOG:
    cmdline.run(options, logger=logger)
else:
    cmdline.run(options)
'''


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUFFUS_LUIGI_")}
    env.update(extra)
    return env


def _workdir(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "pipeline.py").write_text(SCRIPT)
    return d


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ruffus_luigi", "run", "pipeline.py", *args]


def run_on_terminal(cwd: Path, args: list[str], env: dict[str, str], columns: int = 200) -> tuple[str, int]:
    """Run with stdout and stderr on one pseudo-terminal (200 columns); what it wrote, raw."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        _command(*args), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=120)
    return b"".join(chunks).decode(), code


def run_in_pipes(cwd: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(_command(*args), cwd=cwd, env=env, capture_output=True, timeout=120)


def test_a_terminal_shows_a_live_line_and_ruffus_verbose_lines_intact(tmp_path: Path) -> None:
    plain = run_in_pipes(_workdir(tmp_path, "plain"), ["-v", "3", "-j", "1"], _env(RUFFUS_LUIGI_PROGRESS="0"))
    assert plain.returncode == 0, plain.stderr
    raw, code = run_on_terminal(_workdir(tmp_path, "tty"), ["-v", "3", "-j", "1"], _env())
    assert code == 0, raw
    live_draws = raw.count(ERASE + STATUS)
    assert live_draws >= 3, raw  # drawn while the run went on, not only at the end
    lines, current = screen(raw)
    assert current == ""
    # the terminal shows exactly Ruffus' lines, then one final status line
    assert lines[:-1] == plain.stderr.decode().splitlines()
    assert lines[-1].startswith("[ruffus-luigi] tasks 3/3  jobs 41/41  running 0  failed 0  elapsed ")
    assert "ETA" not in lines[-1]


def test_lines_from_workers_and_proxy_logger_stay_whole(tmp_path: Path) -> None:
    args = ["-v", "1", "-j", "3"]
    plain = run_in_pipes(_workdir(tmp_path, "plain"), args, _env(RUFFUS_LUIGI_PROGRESS="0", DEMO_LOG="1"))
    assert plain.returncode == 0, plain.stderr
    raw, code = run_on_terminal(_workdir(tmp_path, "tty"), args, _env(DEMO_LOG="1"))
    assert code == 0, raw
    assert raw.count(ERASE + STATUS) >= 2, raw
    lines, current = screen(raw)
    expected = plain.stderr.decode().splitlines() + plain.stdout.decode().splitlines()
    assert Counter(lines[:-1]) == Counter(expected)  # (workers' lines come in any order)
    assert lines[-1].startswith("[ruffus-luigi] tasks 3/3  jobs 41/41") and current == ""


def test_at_verbose_0_a_terminal_is_left_as_ruffus_leaves_it(tmp_path: Path) -> None:
    raw, code = run_on_terminal(_workdir(tmp_path, "tty"), ["-j", "2"], _env())
    assert code == 0, raw
    assert STATUS in raw
    assert screen(raw) == ([], "")


def test_a_pipe_gets_ruffus_bytes_only_unless_asked(tmp_path: Path) -> None:
    args = ["-v", "1", "-j", "2"]
    before = run_in_pipes(_workdir(tmp_path, "off"), args, _env(RUFFUS_LUIGI_PROGRESS="0"))
    auto = run_in_pipes(_workdir(tmp_path, "auto"), args, _env())
    asked = run_in_pipes(_workdir(tmp_path, "on"), args, _env(RUFFUS_LUIGI_PROGRESS="1"))
    for run in (before, auto, asked):
        assert run.returncode == 0, run.stderr
        assert b"\x1b" not in run.stdout + run.stderr and b"\r" not in run.stdout + run.stderr
    assert b"Completed Task = 'done'" in before.stderr
    assert auto.stderr == before.stderr and auto.stdout == before.stdout == b""
    # asked for: plain lines on stderr (here only the final one), Ruffus' bytes untouched
    theirs = [line for line in asked.stderr.splitlines(keepends=True) if not line.startswith(b"[ruffus-luigi] ")]
    assert b"".join(theirs) == before.stderr
    assert asked.stderr.splitlines()[-1].startswith(b"[ruffus-luigi] tasks 3/3  jobs 41/41  running 0  failed 0")


def drawn_lines(raw: str) -> list[str]:
    """Each status line as drawn (the text after an erase, up to the next line end or erase)."""
    return [re.split(r"[\r\n]", part, maxsplit=1)[0] for part in raw.split(ERASE)[1:] if part.strip()]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("columns", [80, 40])
def test_on_a_narrow_terminal_the_line_is_shortened_never_the_eta_cut(tmp_path: Path, columns: int) -> None:
    raw, code = run_on_terminal(_workdir(tmp_path, "tty"), ["-v", "1", "-j", "2"], _env(DEMO_N="60"), columns)
    assert code == 0, raw
    drawn = drawn_lines(raw)
    assert drawn and all(len(line) < columns for line in drawn), drawn
    with_eta = [line for line in drawn if re.search(r"ETA \d+:\d\d\+?$", line)]
    assert with_eta, drawn  # the ETA shows, whole, at the end of the line
    assert all("ETA" not in line or line in with_eta for line in drawn), drawn
    final = screen(raw)[0][-1]
    assert re.match(r"(\[ruffus-luigi\] )?(tasks|t) 3/3", final) or final.startswith("j 121/121"), final


@pytest.mark.timeout(180)
def test_tasks_mode_shows_running_tasks_and_leaves_ruffus_lines_intact(tmp_path: Path) -> None:
    args = ["-v", "3", "-j", "2"]
    plain = run_in_pipes(_workdir(tmp_path, "plain"), args, _env(RUFFUS_LUIGI_PROGRESS="0"))
    assert plain.returncode == 0, plain.stderr
    raw, code = run_on_terminal(_workdir(tmp_path, "tty"), args, _env(RUFFUS_LUIGI_PROGRESS="tasks"), 80)
    assert code == 0, raw
    assert re.search(r"\n  mid  jobs \d+/20", raw), raw  # a line for the running task, under the status line
    lines, current = screen(raw)
    assert current == ""  # nothing of the display left below the last line
    assert Counter(lines[:-1]) == Counter(plain.stderr.decode().splitlines())
    assert lines[-1].startswith("[ruffus-luigi] tasks 3/3  jobs 41/41")
