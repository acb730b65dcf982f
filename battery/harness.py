"""Start the platform as production runs it: gunicorn on a scratch PostgreSQL database."""
from __future__ import annotations

import contextlib
import csv
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DB = os.environ.get("BATTERY_DB", "sipas_battery")
PG = os.environ.get("BATTERY_PG", "postgresql+psycopg://127.0.0.1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-d", database, "-qc", sql], check=True,
                   capture_output=True)


def env(database: str = DB, **extra: str) -> dict[str, str]:
    """Production settings, rate limits included (the defaults: figures are measured as deployed)."""
    base = dict(os.environ, DATABASE_URL=f"{PG}/{database}", SECRET_KEY="battery-secret-key",
                DEMO_PASSWORD="Battery-password-1", FLASK_DEBUG="0",
                REDIS_URL=os.environ.get("BATTERY_REDIS", "redis://127.0.0.1:6379/15"))
    for name in ("RATE_LIMIT_SUBMIT", "RATE_LIMIT_TOKEN", "RATE_LIMIT_LOGIN", "RATE_LIMIT_INTEGRATION",
                 "TRUSTED_PROXIES", "SESSION_COOKIE_SECURE"):
        base.pop(name, None)  # nothing from the caller's shell changes the settings measured
    base.update(extra)
    return base


def reset_limits() -> None:
    """Forget the rate-limit counters (Redis db 15), so that one figure's clients do not use up
    the next figure's allowance."""
    subprocess.run(["redis-cli", "-n", "15", "flushdb"], capture_output=True)


def flask(*args: str, database: str = DB, stdin: str | None = None) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env(database),
                          capture_output=True, text=True, input=stdin)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed: {done.stderr[-800:]}")
    return done.stdout


def fresh_database(responses: int = 2000, database: str = DB) -> None:
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    reset_limits()
    flask("db", "upgrade", database=database)
    flask("demo", "seed", "--responses", str(responses), database=database)


def invitations(count: int, agency: str = "SNV", database: str = DB) -> list[str]:
    out = ROOT / "instance" / f"battery-invitations-{os.getpid()}.csv"
    out.parent.mkdir(exist_ok=True)
    flask("invitations", "issue", "--wave", "demo", "--agency", agency, "--count", str(count),
          "--output", str(out), database=database)
    tokens = [row["url"].rsplit("/", 1)[1] for row in csv.DictReader(out.open())]
    out.unlink()
    return tokens


class Server:
    """gunicorn 'app:create_app()' with N workers on a free port; access log kept for inspection."""

    def __init__(self, workers: int = 4, database: str = DB, **extra_env: str):
        self.port = free_port()
        self.log = ROOT / "instance" / f"battery-gunicorn-{self.port}.log"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--access-logfile", str(self.log), "--error-logfile", str(self.log), "--graceful-timeout", "2",
             "app:create_app()"],
            cwd=ROOT, env=env(database, **extra_env), start_new_session=True)
        self.wait_ready()

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            with contextlib.suppress(OSError):
                if request("GET", self.port, "/healthz")[0] == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not become healthy")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def request(method: str, port: int, path: str, body=None, headers=None, timeout: float = 30):
    """One HTTP request on a new connection: (status, headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=h)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def valid_answers(port: int, wave: str = "demo") -> dict:
    """A complete valid submission built from the wave's published questionnaire."""
    status, _, body = request("GET", port, f"/api/v1/waves/{wave}/questionnaire")
    if status != 200:
        raise RuntimeError(f"questionnaire: {status}")
    out = {}
    for question in json.loads(body)["questions"]:
        if question["show_if"]:
            continue
        values = [v["value"] for v in question["values"] or []]
        if question["satisfied"]:
            out[question["code"]] = max(question["satisfied"])
        elif question["type"] == "yes_no" and question["required"]:
            out[question["code"]] = 0
        elif question["required"]:
            out[question["code"]] = values[0] if values else "1"
    return out


def query(sql: str, database: str = DB) -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-d", database, "-Atc", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def csrf_token(page: bytes) -> str:
    return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()


def login(port: int, email: str, password: str = "Battery-password-1") -> str:
    """A logged-in session cookie, through the real login form (with its CSRF token)."""
    _, headers, page = request("GET", port, "/login")
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    form = urlencode({"csrf_token": csrf_token(page), "email": email, "password": password})
    status, headers, _ = request("POST", port, "/login", form.encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    if status != 302:
        raise RuntimeError(f"login as {email} failed: {status}")
    return headers.get("Set-Cookie", "").split(";")[0]
