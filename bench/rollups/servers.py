"""The servers the roll-up bench times: gunicorn started as the README's production section does,
and an official's browser session (login with the CSRF token, timed GETs)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "Rollup-bench-2026-x"

def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def environment(url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=os.environ.get("SECRET_KEY", "rollup-bench-secret-key"),
               SESSION_COOKIE_SECURE="0", WARM_DASHBOARD="0", FLASK_APP="app")
    env.pop("REDIS_URL", None)
    return env


class Gunicorn:
    """`gunicorn --workers 2 --bind 127.0.0.1:PORT 'app:create_app()'` from the project folder."""

    running: set = set()

    def __init__(self, url: str, port: int):
        self.url, self.port, self.process = url, port, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "--timeout", "600",
             "app:create_app()"], cwd=ROOT, env=environment(self.url),
            stdout=subprocess.DEVNULL, stderr=open(ROOT / "bench" / "results" / f"gunicorn-{self.port}.log", "a"))
        Gunicorn.running.add(self)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=30):
                    pass
                if len(self.workers()) == 2:
                    return
            except OSError:  # not listening yet, or a worker still importing
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn on port {self.port} did not start")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def rss_mb(self) -> list[float]:
        out = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            out.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return out

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers
            self.process.wait(timeout=60)
        self.process = None
        Gunicorn.running.discard(self)

    @staticmethod
    def stop_all() -> None:
        for web in list(Gunicorn.running):
            web.stop()


class Client:
    """A logged-in official over plain HTTP (cookies kept across gunicorn restarts: sessions are
    database rows)."""

    def __init__(self, email: str):
        self.email = email
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def login(self, port: int) -> None:
        base = f"http://127.0.0.1:{port}"
        page = self.opener.open(f"{base}/login", timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "email": self.email, "password": PASSWORD}).encode()
        landed = self.opener.open(urllib.request.Request(f"{base}/login", data=data), timeout=60)
        if landed.geturl().endswith("/login"):
            raise SystemExit(f"login of {self.email} refused")

    def get(self, port: int, path: str) -> float:
        """Seconds for GET path (200 or the benchmark stops)."""
        start = time.perf_counter()
        try:
            response = self.opener.open(f"http://127.0.0.1:{port}{path}", timeout=900)
            response.read()
        except urllib.error.HTTPError as error:
            raise SystemExit(f"GET {path} on :{port} answered {error.code}") from error
        elapsed = time.perf_counter() - start
        if response.status != 200 or urllib.parse.urlsplit(response.geturl()).path == "/login":
            raise SystemExit(f"GET {path} on :{port}: {response.status} {response.geturl()}")
        return elapsed
