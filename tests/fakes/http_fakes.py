"""A generic HTTP SMS gateway and Zalo ZNS, faked on 127.0.0.1: they answer like the real ones,
record every request, and deliver each reference (SMS ``reference``, Zalo ``tracking_id``) once,
as providers that deduplicate on it do."""
from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.serving import ServedOnThread

MODES = ("ok", "fail", "busy", "refuse", "reject", "slow")


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002 - http.server's name
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (slow mode)
            pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        fake: FakeGateway = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with fake.lock:
            fake.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            mode = fake.next_mode()
        if mode == "slow":
            time.sleep(fake.slow_seconds)
        if mode == "fail":
            return self._answer(500, {"error": "internal error"})
        if mode == "busy":
            return self._answer(429, {"error": "too many requests"})
        if mode == "refuse":
            return self._answer(400, {"error": "invalid number"})
        if fake.kind == "zalo":
            return self._zalo(fake, body, mode)
        return self._sms(fake, body)

    def _sms(self, fake: FakeGateway, body) -> None:
        expected = fake.expected_authorization()
        if expected and self.headers.get("Authorization") != expected:
            return self._answer(401, {"error": "unauthorised"})
        if not isinstance(body, dict) or not {"to", "text", "reference"} <= set(body):
            return self._answer(400, {"error": "to, text and reference are required"})
        return self._answer(200, {"id": fake.deliver(body["reference"], body), "status": "accepted"})

    def _zalo(self, fake: FakeGateway, body, mode: str) -> None:
        if self.headers.get("access_token") != fake.token:
            return self._answer(200, {"error": -124, "message": "Access token is invalid"})
        if mode == "reject":
            return self._answer(200, {"error": -139, "message": "User refused to receive ZNS"})
        if not isinstance(body, dict) or not {"phone", "template_id", "template_data", "tracking_id"} <= set(body):
            return self._answer(200, {"error": -108, "message": "missing parameter"})
        msg_id = fake.deliver(body["tracking_id"], body)
        return self._answer(200, {"error": 0, "message": "Success", "data": {"msg_id": msg_id, "sent_time": "1"}})


class FakeGateway(ServedOnThread):
    """``kind`` sms (bearer ``token`` or basic ``user``/``password``, if given) or zalo (``token``)."""

    handler = _Handler
    server_class = _Server

    def __init__(self, kind: str = "sms", *, token: str | None = None, user: str | None = None,
                 password: str | None = None) -> None:
        super().__init__()
        self.kind, self.token, self.user, self.password = kind, token, user, password
        self.mode = "ok"
        self.script: list[str] = []  # modes for the next requests, before ``mode`` applies again
        self.slow_seconds = 1.5
        self.requests: list[dict] = []
        self.delivered: dict[str, dict] = {}  # reference → the first body with it
        self.ids: dict[str, str] = {}
        self.lock = threading.Lock()
        self._numbers = itertools.count(1001)

    def next_mode(self) -> str:
        return self.script.pop(0) if self.script else self.mode

    def expected_authorization(self) -> str | None:
        if self.token:
            return f"Bearer {self.token}"
        if self.user:
            return "Basic " + base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
        return None

    def deliver(self, reference: str, body: dict) -> str:
        with self.lock:
            if reference not in self.delivered:
                self.delivered[reference] = body
                self.ids[reference] = f"{self.kind}-{next(self._numbers)}"
            return self.ids[reference]

    def url(self, path: str = "/send") -> str:
        auth = f"{self.user}:{self.password or ''}@" if self.user else ""
        return f"http://{auth}127.0.0.1:{self.port}{path}"
