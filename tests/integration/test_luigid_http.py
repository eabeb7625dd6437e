"""The kept-alive client to luigid: Luigi's answers, retries and errors, with fewer connections."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from contextlib import contextmanager

import luigi.rpc
import pytest

from ruffus_luigi.luigi_adapter import luigid_http
from ruffus_luigi.luigi_adapter.worker import WorkerSchedulerFactory


def remote(url: str) -> luigi.rpc.RemoteScheduler:
    scheduler = WorkerSchedulerFactory().create_remote_scheduler(url)
    scheduler._rpc_retry_wait = 0  # (Luigi waits 30 s between attempts)
    return scheduler


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every POST as luigid would; records connections, headers and bodies."""

    protocol_version = "HTTP/1.1"
    log: dict = {}

    def setup(self) -> None:
        super().setup()
        self.log["connections"] += 1

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.log["calls"].append((self.path, dict(self.headers), body.decode()))
        status = self.log.get("status", 200)
        reply = json.dumps({"response": {"path": self.path}}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        if self.log.get("drop"):  # close without saying so, as a server ending idle connections
            self.close_connection = True

    def log_message(self, *args) -> None:
        pass


@contextmanager
def recorder(**settings):
    handler = type("Handler", (_Recorder,), {"log": {"connections": 0, "calls": [], **settings}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d/" % server.server_port, handler.log
    finally:
        server.shutdown()
        server.server_close()


def test_a_plain_http_luigid_gets_the_kept_alive_client_and_answers_as_through_luigi(luigid):
    scheduler = remote(luigid.url)
    assert isinstance(scheduler.fetcher, luigid_http.KeptAliveFetcher)
    scheduler.add_task(worker="w1", task_id="KeptAlive_1", status="DONE", family="KeptAlive", params={"n": "1"})
    listed = scheduler.task_list("DONE", "", search="KeptAlive")
    assert list(listed) == ["KeptAlive_1"] and listed["KeptAlive_1"]["params"] == {"n": "1"}
    assert scheduler.ping(worker="w1") == {"rpc_messages": []}


def test_calls_share_one_connection_and_a_connection_the_server_closed_is_replaced():
    with recorder() as (url, log):
        scheduler = remote(url)
        for _ in range(5):
            assert scheduler.ping(worker="w") == {"path": "/api/ping"}
        assert log["connections"] == 1
    with recorder(drop=True) as (url, log):
        scheduler = remote(url)
        for _ in range(3):
            assert scheduler.ping(worker="w") == {"path": "/api/ping"}
        assert len(log["calls"]) == 3  # (each sent once: no call was repeated)


def test_luigid_restarted_between_calls_is_reached_again(luigid):
    scheduler = remote(luigid.url)
    assert scheduler.ping(worker="w") == {"rpc_messages": []}
    luigid.stop()
    luigid.start()
    assert scheduler.ping(worker="w") == {"rpc_messages": []}


def test_an_unreachable_luigid_or_an_http_error_is_tried_again_until_the_patience_runs_out():
    """Every failure is retried (a restarted luigid is reached again) until ``scheduler_timeout``;
    then one ``RPCError`` naming the URL and the last failure."""
    with recorder() as (url, _):
        pass  # (the port is free again)
    scheduler = remote(url)
    scheduler.patience = 1.0
    started = time.monotonic()
    with pytest.raises(luigid_http.SchedulerUnreachable, match=r"luigid at %s did not answer for 1 s \(last: connection refused" % url.rstrip("/")):
        scheduler.ping(worker="w")
    assert 1.0 <= time.monotonic() - started < 5
    assert isinstance(luigid_http.SchedulerUnreachable("u", "why", 1), luigi.rpc.RPCError)
    with recorder(status=500) as (url, log):
        scheduler = remote(url)
        scheduler.patience = 1.2
        with pytest.raises(luigid_http.SchedulerUnreachable) as raised:
            scheduler.ping(worker="w")
        assert "HTTP 500" in raised.value.why
        assert 2 <= len(log["calls"]) <= 5  # (every RETRY_WAIT s)
        calls = len(log["calls"])
        with pytest.raises(luigid_http.SchedulerUnreachable):  # a scheduler that gave up does not wait again
            scheduler.ping(worker="w")
        assert len(log["calls"]) == calls + 1


def test_credentials_in_the_url_are_sent_as_basic_authentication_and_the_body_as_luigis_form():
    with recorder() as (url, log):
        scheduler = remote(url.replace("http://", "http://ann:s%40cret@"))
        scheduler.ping(worker="w9")
        path, headers, body = log["calls"][0]
    assert path == "/api/ping"
    assert headers["Authorization"] == "Basic " + "YW5uOnNAY3JldA=="  # base64 of ann:s@cret
    assert body == "data=" + luigi.rpc.urlencode({"x": json.dumps({"worker": "w9"})})[2:]


def test_https_unix_sockets_and_proxied_hosts_keep_luigis_client(monkeypatch):
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert luigid_http.fetcher_for("https://sched.example:8082/") is None
    assert luigid_http.fetcher_for("http+unix://%2Ftmp%2Fluigid.sock/") is None
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    assert luigid_http.fetcher_for("http://sched.example:8082/") is None
    monkeypatch.setenv("no_proxy", "sched.example")
    assert luigid_http.fetcher_for("http://sched.example:8082/") is not None


def test_a_forked_child_and_other_threads_use_connections_of_their_own():
    with recorder() as (url, log):
        scheduler = remote(url)
        scheduler.ping(worker="parent")
        pid = os.fork()
        if pid == 0:  # the child: its calls must not go through the parent's socket
            try:
                ok = scheduler.ping(worker="child") == {"path": "/api/ping"}
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        scheduler.ping(worker="parent")
        assert log["connections"] == 2
        answers = []
        threads = [
            threading.Thread(target=lambda: answers.extend(scheduler.ping(worker="t") for _ in range(20)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == [{"path": "/api/ping"}] * 80
        assert log["connections"] == 6
