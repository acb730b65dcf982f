"""A small SMTP server on 127.0.0.1 that keeps every message it accepts (a real socket, smtplib talks
to it as to any server). Enough ESMTP for smtplib: EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT,
DATA, RSET, NOOP, QUIT."""
from __future__ import annotations

import base64
import socketserver
import ssl
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from tests.fakes.serving import ServedOnThread


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def email(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


class _Session(socketserver.BaseRequestHandler):
    def setup(self) -> None:
        self.sink: SmtpSink = self.server.fake
        self.sock = self.request
        self.sock.settimeout(30)
        if self.sink.implicit_tls:
            self.sock = self.sink.tls_context().wrap_socket(self.sock, server_side=True)
        self.rfile = self.sock.makefile("rb")
        self.tls = self.sink.implicit_tls

    def reply(self, code: int, *lines: str) -> None:
        lines = lines or ("OK",)
        out = "".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{line}\r\n" for i, line in enumerate(lines))
        self.sock.sendall(out.encode())

    def handle(self) -> None:
        try:
            self._converse()
        except (OSError, ssl.SSLError):
            pass

    def _converse(self) -> None:
        sink = self.sink
        self.reply(220, "fake-smtp ready")
        authed, mail_from, rcpts = False, None, []
        while True:
            raw = self.rfile.readline(2000)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                caps = ["fake-smtp", "8BITMIME", "SMTPUTF8", "SIZE 10485760"]
                if sink.cert and not self.tls:
                    caps.append("STARTTLS")
                if sink.username:
                    caps.append("AUTH PLAIN")
                self.reply(250, *caps)
            elif verb == "STARTTLS" and sink.cert and not self.tls:
                self.reply(220, "go ahead")
                self.sock = sink.tls_context().wrap_socket(self.sock, server_side=True)
                self.rfile = self.sock.makefile("rb")
                self.tls, authed, mail_from, rcpts = True, False, None, []
            elif verb == "AUTH":
                mechanism, _, blob = arg.partition(" ")
                try:
                    _, user, password = base64.b64decode(blob).decode().split("\0")
                except ValueError:
                    self.reply(501, "bad AUTH PLAIN")
                    continue
                authed = mechanism.upper() == "PLAIN" and (user, password) == (sink.username, sink.password)
                self.reply(235, "welcome") if authed else self.reply(535, "5.7.8 bad credentials")
            elif verb == "MAIL":
                if sink.username and not authed:
                    self.reply(530, "5.7.0 authentication required")
                    continue
                mail_from, rcpts = arg.partition(":")[2].split(" ")[0].strip("<>"), []
                self.reply(250)
            elif verb == "RCPT":
                if sink.rcpt_fail:
                    self.reply(*sink.rcpt_fail)
                    continue
                rcpts.append(arg.partition(":")[2].strip().strip("<>"))
                self.reply(250)
            elif verb == "DATA":
                if mail_from is None or not rcpts:
                    self.reply(503, "need MAIL and RCPT first")
                    continue
                self.reply(354, "end with <CRLF>.<CRLF>")
                data = self._read_data()
                sink.data_received.set()
                if sink.delay:
                    time.sleep(sink.delay)
                if sink.fail_with:
                    self.reply(*sink.fail_with)
                else:
                    with sink.lock:
                        sink.messages.append(Received(mail_from, list(rcpts), data))
                    self.reply(250, "queued")
                mail_from, rcpts = None, []
            elif verb in ("RSET", "NOOP"):
                mail_from, rcpts = (None, []) if verb == "RSET" else (mail_from, rcpts)
                self.reply(250)
            elif verb == "QUIT":
                self.reply(221, "bye")
                return
            else:
                self.reply(502, "not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while True:
            raw = self.rfile.readline(100000)
            if not raw or raw in (b".\r\n", b".\n"):
                break
            lines.append(raw[1:] if raw.startswith(b"..") else raw)
        return b"".join(lines)


class SmtpSink(ServedOnThread):
    handler = _Session

    def __init__(self, *, username: str | None = None, password: str | None = None,
                 cert: tuple[Path, Path] | None = None, implicit_tls: bool = False) -> None:
        super().__init__()
        self.username, self.password = username, password
        self.cert, self.implicit_tls = cert, implicit_tls
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.fail_with: tuple[int, str] | None = None  # the answer to the end of DATA, e.g. (451, "try later")
        self.rcpt_fail: tuple[int, str] | None = None  # the answer to RCPT TO
        self.delay = 0.0  # seconds before answering the end of DATA (a slow server)
        self.data_received = threading.Event()  # set when a message's data has arrived (before the answer)

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.cert)
        return context

    def url(self, *, starttls: bool = False) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        auth = f"{self.username}:{self.password}@" if self.username else ""
        return f"{scheme}://{auth}127.0.0.1:{self.port}" + ("?starttls=1" if starttls else "")

    def recipients(self) -> list[str]:
        return [to for m in self.messages for to in m.rcpt_to]
