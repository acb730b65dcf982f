"""Item 1 behind the reverse proxy the README recommends (nginx from Debian).

Measured before: through a proxy every limit was global, so the 11th of 12 citizens opening a link
got 429 and one outsider's wrong passwords locked the staff out from every address. Now:
- 12 citizens, each at their own address, come through nginx to gunicorn with TRUSTED_PROXIES=1;
  each mistypes the link three times (36 failures in all, the allowance is 10 a minute per
  address), then opens the right one and submits: 0 refused. The same through nginx with
  TRUSTED_PROXIES=0 is reported as the control (everyone shares the proxy's address);
- an outsider's 25 wrong passwords for the administrator do not keep the administrator out;
- a spoofed X-Forwarded-For is ignored: guesses from one client with a new forged address each
  time are still limited, through the proxy (TRUSTED_PROXIES=1) and directly (TRUSTED_PROXIES=0).
"""
from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from battery.harness import Server, csrf_token, free_port, invitations, reset_limits, valid_answers

NGINX_CONF = """
daemon off;
{user}
worker_processes 2;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


class Nginx:
    """nginx in the foreground with a configuration of its own in a scratch directory."""

    def __init__(self, upstream: int):
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="battery-nginx-"))
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = self.home / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, home=self.home, port=self.port, upstream=upstream))
        self.process = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(self.home)],
                                        start_new_session=True, stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if send("127.0.0.1", self.port, "GET", "/healthz")[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"nginx did not start: {(self.home / 'error.log').read_text(errors='replace')[-500:]}")

    def __enter__(self) -> Nginx:
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)


def send(source: str, port: int, method: str, path: str, body: bytes | None = None, headers=None):
    """One request from a given local address (127.0.0.0/8 is all loopback): (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def submit(source: str, port: int, token: str, answers: dict, headers=None) -> int:
    import json

    return send(source, port, "POST", "/api/v1/responses", json.dumps({"invitation": token, "answers": answers})
                .encode(), {"Content-Type": "application/json", **(headers or {})})[0]


def login_status(source: str, port: int, email: str, password: str) -> int:
    _, headers, page = send(source, port, "GET", "/login")
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    form = urlencode({"csrf_token": csrf_token(page), "email": email, "password": password}).encode()
    return send(source, port, "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                       "Cookie": cookie})[0]


def citizens(port: int, tokens: list[str], answers: dict) -> dict:
    """Each citizen at 127.0.0.(10+n): three mistyped links, the right link, then the answers."""
    refused, stored = 0, 0
    for n, token in enumerate(tokens):
        source = f"127.0.0.{10 + n}"
        for k in range(3):
            refused += send(source, port, "GET", f"/s/{token[:-3]}x{k}z")[0] == 429
        opened = send(source, port, "GET", f"/s/{token}")[0]
        refused += opened == 429
        status = submit(source, port, token, answers)
        refused += status == 429
        stored += status == 201
    return {"refused": refused, "stored": stored}


def spoofed_guesses(port: int, source: str, count: int = 30) -> int:
    """Guessed links (10 a minute allowed), each with a new forged X-Forwarded-For: how many were
    refused (429). Forging must not buy a fresh allowance: 20 of 30 are refused."""
    return sum(send(source, port, "GET", f"/s/{secrets.token_urlsafe(24)}",
                    headers={"X-Forwarded-For": f"10.{n % 250}.{n // 250}.7"})[0] == 429 for n in range(count))


def run() -> dict:
    if nginx_binary() is None:
        return {"figure": "proxy", "ok": False, "error": "nginx is not installed (make battery-deps installs it)"}
    out: dict = {"figure": "proxy", "proxy": "nginx"}
    with Server(workers=2, TRUSTED_PROXIES="1") as behind, Nginx(behind.port) as nginx:
        answers = valid_answers(behind.port)
        reset_limits()
        trusted = citizens(nginx.port, invitations(12), answers)
        out.update(citizens=12, trusted_refused=trusted["refused"], trusted_stored=trusted["stored"])
        reset_limits()
        outsider = [login_status("127.0.0.99", nginx.port, "admin@example.org", f"guess-{i}") for i in range(25)]
        out["outsider_failed_logins"] = sum(s in (401, 429) for s in outsider)
        out["admin_login_elsewhere"] = login_status("127.0.0.98", nginx.port, "admin@example.org",
                                                    "Battery-password-1")
        reset_limits()
        out["spoofed_through_proxy_refused"] = spoofed_guesses(nginx.port, "127.0.0.97")
    with Server(workers=2) as direct, Nginx(direct.port) as nginx:
        reset_limits()
        control = citizens(nginx.port, invitations(12), answers)
        out["untrusted_proxy_refused"] = control["refused"]  # the control: what TRUSTED_PROXIES fixes
        reset_limits()
        out["spoofed_direct_refused"] = spoofed_guesses(direct.port, "127.0.0.96")
    reset_limits()
    out["ok"] = (out["trusted_refused"] == 0 and out["trusted_stored"] == 12 and out["admin_login_elsewhere"] == 302
                 and out["spoofed_through_proxy_refused"] >= 20 and out["spoofed_direct_refused"] >= 20)
    return out
