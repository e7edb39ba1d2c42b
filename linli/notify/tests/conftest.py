"""A real local HTTP server playing the WeCom and DingTalk robot APIs, and sync tasks.

``robot_server`` listens on 127.0.0.1 (a free port) in a thread. It records every request
(path, query, JSON body) and answers from ``server.script`` (a list of replies, consumed
in order; afterwards ``{"errcode": 0}``). A reply is a dict with ``errcode``/``errmsg``,
or ``("status", code)`` for an HTTP error, ``("raw", b"...")`` for a 200 with that body,
or ``("sleep", seconds)`` to answer late.
When ``server.dingtalk_secret`` is set, DingTalk requests must carry a valid
``timestamp``/``sign`` computed here independently, else the answer is errcode 310000,
as DingTalk does.
"""

from __future__ import annotations

import base64
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


class FakeRobotServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.script: list[Any] = []
        self.dingtalk_secret = ""
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_reply(self) -> Any:
        with self.lock:
            return self.script.pop(0) if self.script else {"errcode": 0, "errmsg": "ok"}


def expected_sign(secret: str, timestamp: str) -> str:
    """DingTalk's documented algorithm, written out independently of linli.notify.robots."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), "sha256")
    return base64.b64encode(mac.digest()).decode("ascii")


class _Handler(BaseHTTPRequestHandler):
    server: FakeRobotServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.server.requests.append(
            {
                "path": parts.path,
                "query": query,
                "content_type": self.headers.get("Content-Type"),
                "json": json.loads(raw.decode("utf-8")),
            }
        )
        reply = self.server.next_reply()
        if isinstance(reply, tuple) and reply[0] == "sleep":
            time.sleep(reply[1])
            reply = {"errcode": 0, "errmsg": "ok"}
        if isinstance(reply, tuple) and reply[0] == "status":
            self.send_response(reply[1])
            self.end_headers()
            self.wfile.write(b"<html>error</html>")
            return
        if isinstance(reply, tuple) and reply[0] == "raw":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(reply[1])
            return
        if parts.path == "/robot/send" and self.server.dingtalk_secret:
            reply = self._check_sign(query) or reply
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _check_sign(self, query: dict[str, str]) -> dict[str, Any] | None:
        timestamp = query.get("timestamp", "")
        fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3_600_000
        good = expected_sign(self.server.dingtalk_secret, timestamp)
        if not fresh or not hmac.compare_digest(query.get("sign", ""), good):
            return {"errcode": 310000, "errmsg": "sign not match"}
        return None

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def robot_server(settings):  # type: ignore[no-untyped-def]
    """The fake robot APIs; webhook base URLs in settings point at it."""
    server = FakeRobotServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.NOTIFY_WECOM_WEBHOOK_BASE = f"{server.base}/cgi-bin/webhook/send"
    settings.NOTIFY_DINGTALK_WEBHOOK_BASE = f"{server.base}/robot/send"
    settings.NOTIFY_HTTP_TIMEOUT = 2
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sync_tasks(monkeypatch):  # type: ignore[no-untyped-def]
    """django-q2 runs queued tasks at once, in this process and transaction."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def sms_outbox():  # type: ignore[no-untyped-def]
    from linli.notify.channels import ConsoleSmsBackend

    ConsoleSmsBackend.outbox.clear()
    yield ConsoleSmsBackend.outbox
    ConsoleSmsBackend.outbox.clear()
