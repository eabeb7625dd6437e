"""Drive Debian's headless Chromium from a test: load a page, run JavaScript in it, click, take screenshots.

Chromium is spoken to through the DevTools protocol over a pair of pipes
(``--remote-debugging-pipe``: it reads commands on fd 3 and writes answers on fd 4, each a
JSON message ended by a NUL byte), so no network port, no web socket library and no
driver binary are needed. The browser runs in its own process group with a throwaway
profile, and ``close`` (or the context manager) ends it by pid.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

# Flags Chromium needs as root on a machine without network: without the background-networking
# ones it waits on connections that never come.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--remote-debugging-pipe",
]


def chromium_exe() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed: run tools/install.sh (installs Debian's chromium)")
    return exe


class Browser:
    """One headless Chromium with one page (a tab) the test drives."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # (in the child) its ends as fd 3 and 4, whatever numbers they had
            high_r, high_w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(high_r, 3, inheritable=True)
            os.dup2(high_w, 4, inheritable=True)
            signal.signal(signal.SIGINT, signal.SIG_DFL)

        self.process = subprocess.Popen(
            [chromium_exe(), *FLAGS, "--user-data-dir=" + self.profile, "--window-size=%d,%d" % (width, height)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False, start_new_session=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.page("Page.enable")
        self.page("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    # -- the protocol -------------------------------------------------------------------------
    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> Any:
        """Send one command and wait (at most ``timeout`` s) for its answer; events are skipped."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline, method)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError("chromium: %s failed: %s" % (method, answer["error"]))
                return answer.get("result", {})

    def _read(self, deadline: float, method: str) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail("chromium did not answer %s in time" % method)
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                data = os.read(self._from_child, 1 << 20)
                if not data:
                    pytest.fail("chromium exited (exit code %s) during %s" % (self.process.poll(), method))
                self._buffer += data
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def page(self, method: str, params: dict | None = None, timeout: float = 30) -> Any:
        return self.call(method, params, self.session, timeout)

    # -- what a test does ------------------------------------------------------------------------
    def open(self, url: str) -> None:
        self.page("Page.navigate", {"url": url})

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        result = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError("JavaScript failed: %s\n%s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30, what: str = "") -> Any:
        """Wait until a JavaScript expression is truthy (polled every 0.2 s); its value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.js(expression)
            except RuntimeError:
                value = None  # (the page is still loading its scripts)
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail("the page never showed %s (%s) within %g s" % (what or expression, expression, timeout))
            time.sleep(0.2)

    def screenshot(self, path: Path) -> None:
        """A PNG of what the page shows now."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.page("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            os.write(self._to_child, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
