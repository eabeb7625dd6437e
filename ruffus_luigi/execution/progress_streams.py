"""Text streams on the live progress line's terminal: each line written erases the line first.

``progress.Progress.install`` puts a ``GuardedStream`` in place of ``sys.stdout`` and
``sys.stderr`` when they write to the terminal the line is drawn on.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .progress import Progress


class GuardedStream:
    """A text stream on the live line's terminal: erases the line before each write.

    Text is passed on a whole line at a time (or at ``flush``), erase included, in one
    write: a line-buffered terminal stream flushes at the erase's ``\r``, so a line written
    in pieces could be cut by another process's erase and lost from the screen.
    """

    def __init__(self, stream: TextIO, progress: Progress) -> None:
        self._stream = stream
        self._progress = progress
        self._pid = os.getpid()  # the process the two below belong to (a forked worker starts afresh)
        self._pending = ""  # the start of a line not passed on yet
        self._at_line_start = True  # (a forked worker's: whether its next text starts a line)
        self._mutex = threading.Lock()  # (jobs under ``multithread`` print from threads)

    def write(self, text: str) -> int:
        if not text:
            return 0
        with self._mutex:
            self._own_process()
            if self._progress.closed:
                text, self._pending = self._pending + text, ""
                self._stream.write(text)
                return len(text)
            self._pending += text
            cut = self._pending.rfind("\n") + 1
            if cut:
                whole, self._pending = self._pending[:cut], self._pending[cut:]
                self._pass_on(whole)
        return len(text)

    def flush(self) -> None:
        with self._mutex:
            self._own_process()
            if self._pending:
                text, self._pending = self._pending, ""
                self._pass_on(text)
        self._stream.flush()

    def _own_process(self) -> None:
        """In a process forked since the last write: start afresh (the driver passes its own text on)."""
        if self._pid != os.getpid():
            self._pid, self._pending, self._at_line_start = os.getpid(), "", True

    def _pass_on(self, text: str) -> None:
        p = self._progress
        if not p.in_driver():
            out = p.taken_off_by(self._stream) + text if self._at_line_start else text
            self._at_line_start = text.endswith("\n")
            self._stream.write(out)
            return
        self._stream.write(p.taken_off_by(self._stream) + text)  # one write: the display goes as the text comes
        if p.text_written(text.endswith("\n")):
            self._stream.flush()
            p.update()

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def same_terminal(a: Any, b: Any) -> bool:
    try:
        return isatty(a) and isatty(b) and os.fstat(a.fileno()).st_rdev == os.fstat(b.fileno()).st_rdev
    except (AttributeError, ValueError, OSError):
        return False
