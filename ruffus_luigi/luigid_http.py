"""A lighter HTTP client for luigid: one kept-alive connection per process and thread.

Luigi's ``RemoteScheduler`` sends each call through ``requests``: 1.0 ms a call to a
luigid on loopback, of which the exchange itself is 0.4 ms, and a run on luigid makes a
few hundred calls (three per chunk). So a plain ``http://`` luigid reached without a
proxy gets this client instead; https (certificates), unix sockets and proxied hosts keep
Luigi's own. Luigi's retries and its ``RPCError`` are unchanged: they wrap ``fetch``.
"""

from __future__ import annotations

import base64
import http.client
import os
import threading
import urllib.parse
import urllib.request
from typing import Any

# A kept-alive connection the server has since closed fails like this before any reply.
_CLOSED_BEFORE_REPLY = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


class KeptAliveFetcher:
    """Luigi's fetcher interface (``fetch``, ``close``, ``raises``) over ``http.client``."""

    raises = (OSError, http.client.HTTPException)

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 80
        self.headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if parts.username:  # (as Luigi's urllib fetcher: credentials in the URL)
            pair = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self._local = threading.local()  # (Luigi's keep-alive thread calls luigid too)

    def fetch(self, full_url: str, body: dict, timeout: float) -> str:
        parts = urllib.parse.urlsplit(full_url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        data = urllib.parse.urlencode(body).encode()
        while True:
            conn, reused = self._connection(timeout)
            try:
                return self._exchange(conn, path, data)
            except BaseException as e:
                self.close()  # (in an unknown state: the next call starts afresh)
                if not (reused and isinstance(e, _CLOSED_BEFORE_REPLY)):
                    raise  # (only a kept-alive connection closed under us is tried again, once: on a new one)

    def _exchange(self, conn: http.client.HTTPConnection, path: str, data: bytes) -> str:
        conn.request("POST", path, data, self.headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8")
        if response.status >= 400:
            raise http.client.HTTPException("luigid answered HTTP %d %s" % (response.status, response.reason))
        return text

    def _connection(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection and whether it served a call before (a forked child makes its own)."""
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            return conn, True
        local.conn, local.pid = http.client.HTTPConnection(self.host, self.port, timeout=timeout), os.getpid()
        return local.conn, False

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None and self._local.pid == os.getpid():
            conn.close()


def fetcher_for(url: str) -> KeptAliveFetcher | None:
    """This client for a plain-http luigid reached directly; None where Luigi's must stay."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    if "http" in urllib.request.getproxies() and not urllib.request.proxy_bypass(parts.hostname):
        return None
    return KeptAliveFetcher(url)


def lighten(scheduler: Any) -> Any:
    """Give a Luigi ``RemoteScheduler`` this client where it applies (see ``fetcher_for``)."""
    fetcher = fetcher_for(getattr(scheduler, "_url", ""))
    if fetcher is not None and hasattr(scheduler, "_fetcher"):
        scheduler._fetcher.close()
        scheduler._fetcher = fetcher
    return scheduler
