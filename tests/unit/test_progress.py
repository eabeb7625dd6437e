"""The progress renderer: one live line on a terminal (erased around other lines), plain lines elsewhere."""

from __future__ import annotations

import io
import re
import sys
from types import SimpleNamespace

import pytest

from ruffus_luigi.execution import progress
from ruffus_luigi.execution.progress import ERASE, GuardedLogger, GuardedStream, Progress
from ruffus_luigi.model.loggers import t_stream_logger
from ruffus_luigi.settings import config

STATUS = "[ruffus-luigi] tasks"


def screen(raw: str) -> tuple[list[str], str]:
    """What a terminal shows for ``raw``: finished lines, and the line the cursor is on.

    Understands ``\\r``, ``\\n``, ESC[K (clear to the end of the line) and ESC[A (cursor up
    a line); anything else is printed as is, so stray escape codes show up in the lines.
    Text left below the cursor (a display not erased) shows as lines after the current one.
    """
    rows: list[list[str]] = [[]]
    row = col = 0
    for token in re.findall(r"\x1b\[K|\x1b\[A|\r|\n|[^\r\n\x1b]+|\x1b", raw):
        if token == "\r":
            col = 0
        elif token == "\n":
            row += 1
            if row == len(rows):
                rows.append([])
            col = 0
        elif token == "\x1b[A":
            row = max(row - 1, 0)
        elif token == "\x1b[K":
            del rows[row][col:]
        else:
            line = rows[row]
            line.extend(" " * (col - len(line)))
            for ch in token:
                if col < len(line):
                    line[col] = ch
                else:
                    line.append(ch)
                col += 1
    below = ["".join(r) for r in rows[row + 1:]]
    current = "".join(rows[row])
    if any(below):
        current = "\n".join([current, *below])
    return ["".join(r) for r in rows[:row]], current


class FakeTTY(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def live(tasks: int = 3, keep_final: bool = True, width: int = 200) -> tuple[Progress, FakeTTY, Clock]:
    tty, clock = FakeTTY(), Clock()
    return Progress(tty, True, tasks, keep_final, clock, lambda: width), tty, clock


def test_text_counts_tasks_jobs_running_failures_elapsed_and_eta() -> None:
    p, _, clock = live(tasks=3)
    p.stage_planned("a", 100)
    p.chunk_started(1, 1)
    p.chunk_started(2, 1)
    clock.now += 10
    p.chunk_finished(1, 48, 2)
    assert p.text() == (
        "[ruffus-luigi] tasks 0/3  jobs 48/100+  running 1  failed 2  elapsed 0:10  ETA 0:10+"
    )
    p.task_finished("a")
    p.stage_planned("b", 50)
    p.task_finished("c")  # never planned (inactive): its jobs are known, none
    clock.now += 3600
    assert p.text() == "[ruffus-luigi] tasks 2/3  jobs 48/150  running 1  failed 2  elapsed 1:00:10  ETA 2:05:20"
    assert "ETA" not in p.text(final=True)


def test_live_line_is_redrawn_in_place_at_most_five_times_a_second() -> None:
    p, tty, clock = live()
    p.stage_planned("a", 10)
    for i in range(10):
        p.chunk_started(i)
        clock.now += 0.05
        p.chunk_finished(i, 1, 0)
    draws = [w for w in tty.writes if STATUS in w]
    assert 2 <= len(draws) <= 4  # 0.5 s of events: a draw, then one per 0.2 s
    assert all(w.startswith(ERASE) and "\n" not in w for w in draws)
    lines, current = screen(tty.getvalue())
    assert lines == [] and current.startswith(STATUS)


def test_the_line_is_erased_before_a_log_line_and_drawn_again_after() -> None:
    p, tty, clock = live()
    stream = GuardedStream(tty, p)
    logger = GuardedLogger(t_stream_logger(stream), p)
    p.stage_planned("a", 3)
    p.chunk_started(1)
    assert p.drawn
    logger.info("Task enters queue = 'a' ")
    assert tty.writes[-2:] == [ERASE, "Task enters queue = 'a' \n"]
    stream.write("a job's own line\n")
    clock.now += 0.3
    p.update()
    stream.write("another\n")
    # a write to the line's own stream takes the line off in the same write
    assert tty.writes[-1] == ERASE + "another\n"
    clock.now += 0.3
    logger.info("    Job  = [a -> b] completed")  # drawn again after this line
    stream.write("half a line ...")
    clock.now += 0.3
    p.update()  # not now: the cursor is in the middle of someone's line
    stream.write(" done\n")
    clock.now += 0.3
    logger.warning("careful")
    p.close()
    lines, current = screen(tty.getvalue())
    assert lines == [
        "Task enters queue = 'a' ",
        "a job's own line",
        "another",
        "    Job  = [a -> b] completed",
        "half a line ... done",
        "",
        "",
        "WARNING:",
        "    careful",
        "",
        "[ruffus-luigi] tasks 0/3  jobs 0/3+  running 1  failed 0  elapsed 0:01",
    ]
    assert current == ""


def test_never_two_status_lines_whatever_the_order_of_events() -> None:
    p, tty, clock = live()
    stream = GuardedStream(tty, p)
    for i in range(50):
        clock.now += 0.07
        [p.chunk_started, lambda k: p.chunk_finished(k, 1, 0), lambda k: stream.write("line %d\n" % k), p.update][i % 4](i)
    p.close()
    lines, current = screen(tty.getvalue())
    assert [line for line in lines if "ruffus-luigi" in line] == [lines[-1]]
    assert all(line.startswith("line ") for line in lines[:-1]) and current == ""


def test_at_verbose_0_the_final_line_is_erased() -> None:
    p, tty, _ = live(keep_final=False)
    p.chunk_started(1)
    p.close()
    assert screen(tty.getvalue()) == ([], "")


def test_the_line_never_wraps() -> None:
    p, tty, _ = live(width=40)
    p.chunk_started(1)
    assert screen(tty.getvalue())[1] == "[ruffus-luigi] t 0/3 j 0/0+"


def big_run(width: int) -> tuple[Progress, FakeTTY]:
    """A long run: tasks 12/37, jobs 123456/300011+, 64 running, 3 failed, ETA 12:34:56+."""
    p, tty, clock = live(tasks=37, width=width)
    p.stage_planned("a", 300011)
    p.chunk_started("first", 1)
    p.chunk_finished("first", 0, 0)
    for i in range(12):
        p.task_finished("t%d" % i)
    for i in range(64):
        p.chunk_started(i, 1)
    rate = (300011 - 123456 - 3) / (12 * 3600 + 34 * 60 + 56)
    clock.now += 123456 / rate
    p.chunk_finished("x", 123456, 3)
    p.update(force=True)
    return p, tty


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (200, "[ruffus-luigi] tasks 12/37  jobs 123456/300011+  running 64  failed 3  elapsed 8:47:53  ETA 12:34:56+"),
        (80, "[ruffus-luigi] t 12/37 j 123456/300011+ run 64 fail 3 ETA 12:34:56+"),
        (60, "[ruffus-luigi] j 123456/300011+ fail 3 ETA 12:34:56+"),
        (40, "j 123456/300011+ fail 3 ETA 12:34:56+"),
    ],
)
def test_the_line_fits_the_terminal_by_shortening_never_by_cutting_the_eta(width: int, expected: str) -> None:
    p, tty = big_run(width)
    shown = screen(tty.getvalue())[1]
    assert shown == expected and len(shown) < width


def test_a_forked_worker_clears_the_line_before_each_line_it_starts() -> None:
    p, tty, _ = live()
    stream = GuardedStream(tty, p)
    p.chunk_started(1)
    p.pid = -1  # as seen from a forked worker
    stream.write("job output")
    stream.write(" continued\n")
    assert tty.writes[-1] == ERASE + "job output continued\n"
    lines, current = screen(tty.getvalue())
    assert lines == ["job output continued"] and current == ""


class Syscalls(io.RawIOBase):
    """A terminal's file descriptor: records each write(2)."""

    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return True

    def write(self, data) -> int:
        self.calls.append(bytes(data))
        return len(data)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("where", ["driver", "forked worker"])
def test_a_printed_line_reaches_the_terminal_in_one_write_erase_included(where: str) -> None:
    """A line-buffered stream flushes at the erase's \\r: a line written in pieces could be
    cut by another process's erase between them, and vanish from the screen (seen in CI)."""
    fd = Syscalls()
    tty = io.TextIOWrapper(io.BufferedWriter(fd), line_buffering=True)
    clock = Clock()
    p = Progress(tty, True, 3, True, clock, lambda: 200)
    stream = GuardedStream(tty, p)
    p.chunk_started(1)
    if where == "forked worker":
        p.pid = -1
    print("printed a008.mid", file=stream)  # write(text), then write("\n")
    stream.write("half ")
    stream.write("and half\n")
    stream.write("no newline yet")
    assert fd.calls[-2:] == [
        (ERASE + "printed a008.mid\n").encode(),
        ((ERASE if where == "forked worker" else "") + "half and half\n").encode(),
    ]
    stream.flush()  # an explicit flush passes on what there is
    assert fd.calls[-1].endswith(b"no newline yet")


def test_plain_lines_every_ten_seconds_and_at_the_end_without_escape_codes() -> None:
    out, clock = io.StringIO(), Clock()
    p = Progress(out, False, 2, True, clock)
    p.stage_planned("a", 4)
    for i in range(4):
        p.chunk_started(i)
        clock.now += 6
        p.chunk_finished(i, 1, 0)
        p.update()
    p.task_finished("a")
    p.close()
    assert out.getvalue() == (
        "[ruffus-luigi] tasks 0/2  jobs 2/4+  running 0  failed 0  elapsed 0:12  ETA 0:12+\n"
        "[ruffus-luigi] tasks 0/2  jobs 4/4+  running 0  failed 0  elapsed 0:24\n"
        "[ruffus-luigi] tasks 1/2  jobs 4/4+  running 0  failed 0  elapsed 0:24\n"
    )


def test_install_routes_logger_and_std_streams_through_the_line_and_close_restores_them(monkeypatch) -> None:
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    original = t_stream_logger(tty)
    logger = progress.guarded(original)  # (the run's logger, made before its progress starts)
    p = Progress(tty, True, 1, True, Clock(), lambda: 100)
    p.install()
    try:
        assert isinstance(logger, GuardedLogger) and isinstance(sys.stderr, GuardedStream)
        assert progress._active is p
        p.update(force=True)
        logger.info("message")
        assert tty.getvalue().endswith(p.text() + ERASE + "message\n")  # the line drawn, erased for the message
    finally:
        p.close()
    assert sys.stderr is tty and progress._active is None
    shown = tty.getvalue()
    logger.info("after")  # the run's logger passes everything through once its progress is closed
    sys.stderr.write("after\n")  # a wrapper someone kept passes everything through once closed
    assert tty.getvalue() == shown + "after\nafter\n"


@pytest.mark.parametrize(
    ("env", "expected"),
    [(None, "auto"), ("auto", "auto"), ("1", "1"), ("on", "1"), ("0", "0"), ("False", "0")],
)
def test_setting(monkeypatch, env, expected) -> None:
    monkeypatch.setattr(config, "luigi_config_in_use", lambda: False)
    if env is None:
        monkeypatch.delenv("RUFFUS_LUIGI_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("RUFFUS_LUIGI_PROGRESS", env)
    assert config.progress() == expected


def test_a_bad_setting_says_which(monkeypatch) -> None:
    monkeypatch.setenv("RUFFUS_LUIGI_PROGRESS", "sometimes")
    with pytest.raises(ValueError, match="RUFFUS_LUIGI_PROGRESS"):
        config.progress()


@pytest.mark.parametrize(
    ("setting", "stdout_tty", "expected"),
    [("auto", False, None), ("auto", True, "live"), ("1", False, "plain"), ("1", True, "live"), ("0", True, None)],
)
def test_start_chooses_one_rendering_by_whether_stdout_is_a_terminal(monkeypatch, setting, stdout_tty, expected) -> None:
    monkeypatch.setenv("RUFFUS_LUIGI_PROGRESS", setting)
    out = FakeTTY() if stdout_tty else io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    state = SimpleNamespace(incomplete=[1, 2], options=SimpleNamespace(verbose=1, progress=config.progress()))
    p = progress.start(state)
    try:
        assert (None if p is None else "live" if p.live else "plain") == expected
    finally:
        if p is not None:
            p.close()


class RuffusTask:
    def __init__(self, name: str) -> None:
        self.name = name

    def _get_display_name(self) -> str:
        return self.name


def per_task(width: int = 200) -> tuple[Progress, FakeTTY, Clock]:
    tty, clock = FakeTTY(), Clock()
    return Progress(tty, True, 3, True, clock, lambda: width, per_task=True), tty, clock


@pytest.mark.timeout(10)
def test_tasks_mode_shows_a_line_per_running_task_redrawn_in_place() -> None:
    p, tty, clock = per_task()
    a, b = RuffusTask("align"), RuffusTask("count")
    p.stage_planned(a, 10)
    p.stage_planned(b, 5)
    p.chunk_started(1, 1, a)
    p.chunk_started(2, 1, b)
    p.update(force=True)
    lines, current = screen(tty.getvalue())
    assert lines == [p.text(width=200), "  align  jobs 0/10"] and current == "  count  jobs 0/5"
    clock.now += 1
    p.chunk_finished(1, 3, 1)
    p.chunk_started(3, 1, a)
    p.chunk_finished(2, 5, 0)  # count has nothing running: its line goes
    p.update(force=True)
    lines, current = screen(tty.getvalue())
    assert lines == [p.text(width=200)] and current == "  align  jobs 3/10  failed 1"
    stream = GuardedStream(tty, p)
    stream.write("a message\n")  # the whole display goes before it, and comes back after
    clock.now += 1
    p.update(force=True)
    lines, current = screen(tty.getvalue())
    assert lines == ["a message", p.text(width=200)] and current == "  align  jobs 3/10  failed 1"
    p.close()
    lines, current = screen(tty.getvalue())
    assert lines == ["a message", p.text(final=True, width=200)] and current == ""


@pytest.mark.timeout(10)
def test_tasks_mode_lines_fit_and_a_forked_worker_erases_the_whole_display() -> None:
    p, tty, _ = per_task(width=40)
    tasks = [RuffusTask("a_task_with_a_very_long_name_%d" % i) for i in range(12)]
    for i, t in enumerate(tasks):
        p.stage_planned(t, 123456)
        p.chunk_started(i, 1, t)
    p.update(force=True)
    lines, current = screen(tty.getvalue())
    shown = lines + [current]
    assert len(shown) == 1 + 10 + 1 and all(len(line) < 40 for line in shown), shown
    assert shown[1] == "  a_task_with_a_very_...  jobs 0/123456"
    assert shown[-1] == "  ... 2 more tasks running"
    p.pid = -1  # as seen from a forked worker
    GuardedStream(tty, p).write("job output\n")
    assert screen(tty.getvalue()) == (["job output"], "")


@pytest.mark.timeout(10)
def test_tasks_mode_without_a_terminal_prints_the_task_lines_every_ten_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    p = Progress(out, False, 1, True, clock, per_task=True)
    t = RuffusTask("mid")
    p.stage_planned(t, 4)
    p.chunk_started(1, 1, t)
    clock.now += 10
    p.update()
    p.chunk_finished(1, 1, 0)
    p.close()
    assert out.getvalue() == (
        "[ruffus-luigi] tasks 0/1  jobs 0/4  running 1  failed 0  elapsed 0:10\n"
        "  mid  jobs 0/4\n"
        "[ruffus-luigi] tasks 0/1  jobs 1/4  running 0  failed 0  elapsed 0:10\n"
    )


@pytest.mark.timeout(10)
def test_tasks_setting(monkeypatch) -> None:
    monkeypatch.setattr(config, "luigi_config_in_use", lambda: False)
    monkeypatch.setenv("RUFFUS_LUIGI_PROGRESS", "tasks")
    assert config.progress() == "tasks"
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    p = progress.start(SimpleNamespace(incomplete=[1], options=SimpleNamespace(verbose=1, progress=config.progress())))
    try:
        assert p is not None and p.per_task and not p.live
    finally:
        p.close()


@pytest.mark.timeout(10)
def test_tasks_mode_display_is_never_taller_than_the_terminal(monkeypatch) -> None:
    p, tty, _ = per_task()
    monkeypatch.setattr(p, "_terminal_rows", lambda: 5)
    for i in range(8):
        t = RuffusTask("t%d" % i)
        p.stage_planned(t, 3)
        p.chunk_started(i, 1, t)
    p.update(force=True)
    lines, current = screen(tty.getvalue())
    assert lines + [current] == [p.text(width=200), "  t0  jobs 0/3", "  t1  jobs 0/3", "  ... 6 more tasks running"]
    p.close()
    assert screen(tty.getvalue()) == ([p.text(final=True, width=200)], "")
