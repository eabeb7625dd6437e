"""A lighter HTTP client for luigid: one kept-alive connection per process and thread.

Luigi's ``RemoteScheduler`` sends each call through ``requests``: 1.0 ms a call to a
luigid on loopback, of which the exchange itself is 0.4 ms, and a run on luigid makes a
few hundred calls (three per chunk). So a plain ``http://`` luigid reached without a
proxy gets this client instead; https (certificates), unix sockets and proxied hosts keep
Luigi's own.

Whichever client carries them, calls are retried the same way (``RemoteScheduler``): a
luigid restarted mid-run is reached again and the run carries on, but one that does not
answer as luigid (refused, silent, HTTP errors, not JSON) for ``scheduler_timeout`` seconds
ends the run with ``SchedulerUnreachable``, which says what went wrong.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import threading
import time
import urllib.parse
import urllib.request
from typing import Any

import luigi.rpc

from . import luigi_private

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


RETRY_WAIT = 0.5
"""Seconds between two attempts of a call luigid did not answer."""


class SchedulerUnreachable(luigi.rpc.RPCError):
    """luigid did not answer a call as luigid before the run's ``scheduler_timeout`` ran out."""

    def __init__(self, url: str, why: str, waited: float) -> None:
        super().__init__("luigid at %s did not answer for %g s (last: %s)" % (url, waited, why))
        self.url = url
        self.why = why
        self.waited = waited


class NotLuigid(ValueError):
    """The server answered something that is not a luigid reply."""


class RemoteScheduler(luigi_private.RemoteScheduler):
    """Luigi's luigid client, with this module's client where it applies, patient for ``patience`` seconds.

    Luigi tries a call 3 times 30 s apart (then a bare ``RPCError``), and a reply that is not
    JSON escapes as a ``JSONDecodeError``. Here a call is tried again every ``RETRY_WAIT`` s
    until ``patience`` seconds after it started, each attempt waiting at most what is left
    (and Luigi's ``rpc-connect-timeout``); then ``SchedulerUnreachable``. Once a call gave
    up, the calls of other threads (Luigi's keep-alive pings) give up after their next failure.
    """

    def __init__(self, url: str, patience: float) -> None:
        super().__init__(url)
        fetcher = fetcher_for(self.url)
        if fetcher is not None:
            self.fetcher.close()
            self.fetcher = fetcher
        raises = self.fetcher.raises
        self._failures = (*(raises if isinstance(raises, tuple) else (raises,)), NotLuigid, UnicodeError)
        self.patience = patience
        self.failing_since: float | None = None  # (monotonic) the first failed attempt since luigid last answered
        self.gave_up = False

    def call(self, url_suffix: str, data: Any, allow_null: bool) -> Any:
        """Each call Luigi makes (a null answer where none is allowed is a failure like any other)."""
        return self._answer(url_suffix, {"data": json.dumps(data)}, allow_null)

    def _answer(self, url_suffix: str, body: dict, allow_null: bool) -> Any:
        """luigid's ``response`` to one call, trying again until the patience runs out.

        The patience counts from the start of this call or of the first failed attempt of
        any thread since luigid last answered, whichever is earlier: calls that wait together
        give up together.
        """
        full_url = luigi_private.urljoin(self.url, url_suffix)
        deadline = time.monotonic() + self.patience
        while True:
            started = time.monotonic()
            if self.failing_since is not None:
                deadline = min(deadline, self.failing_since + self.patience)
            try:
                timeout = max(0.1, min(self.connect_timeout, deadline - started))
                answer = _response(self.fetcher.fetch(full_url, body, timeout), allow_null)
            except self._failures as e:
                if self.failing_since is None:
                    self.failing_since = started
                deadline = min(deadline, self.failing_since + self.patience)
                left = deadline - time.monotonic()
                if left <= 0 or self.gave_up:
                    self.gave_up = True
                    raise SchedulerUnreachable(self.url, _why(e), self.patience) from None
                time.sleep(min(RETRY_WAIT, left))
            else:
                self.failing_since = None
                return answer


def _response(page: str, allow_null: bool) -> Any:
    """The ``response`` of a luigid reply, or NotLuigid."""
    try:
        response = json.loads(page)["response"]
    except (ValueError, KeyError, TypeError):
        shown = " ".join(page.split())[:60]
        raise NotLuigid("answered something that is not luigid's JSON: %r" % shown) from None
    if response is None and not allow_null:
        raise NotLuigid("answered null where luigid always answers a value")
    return response


def _why(error: BaseException) -> str:
    """What went wrong with the last attempt, in a few words."""
    if isinstance(error, ConnectionRefusedError) or "refused" in str(error).lower():
        return "connection refused: nothing listens there"
    if isinstance(error, TimeoutError) or "timed out" in str(error).lower():
        return "no answer (the connection was accepted, then nothing came back)"
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]
