"""Item 2: Redis dies, then hangs, under a running service.

Measured before: with Redis down every rate-limited page was a 500 while /healthz said ok, and a
hung Redis held each request 30 s. gunicorn runs here on a Redis of its own; citizens submit
while it is up, after it is killed, and while a server that accepts connections but never answers
sits on its port. Every acknowledged submission must be stored, no request may fail with a 5xx or
take seconds, /healthz must say "redis": "down" (200: the service works), and guessing must still
be limited (in memory).
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from battery.harness import Server, free_port, invitations, query, request, valid_answers


def _redis(port: int, home: str) -> subprocess.Popen:
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", home], stdout=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return process
        time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


@contextlib.contextmanager
def _hung(port: int):
    """Accepts connections on the port and never answers (a Redis stuck in a long command)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(256)
    server.settimeout(0.1)
    held, stop = [], threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def _phase(port: int, tokens: list[str], answers: dict) -> dict:
    """Concurrent submissions, link openings and wrong guesses; statuses, receipts and the slowest."""
    def submit(token: str):
        started = time.perf_counter()
        try:
            status, _, body = request("POST", port, "/api/v1/responses", {"invitation": token, "answers": answers})
        except (OSError, http.client.HTTPException):
            status, body = 599, b"{}"
        receipt = json.loads(body).get("receipt") if status == 201 else None
        return status, receipt, time.perf_counter() - started

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(submit, tokens))
    guesses = [request("POST", port, "/api/v1/responses", {"invitation": secrets.token_urlsafe(24), "answers": {}})[0]
               for _ in range(150)]
    logins = [request("GET", port, "/login")[0] for _ in range(5)]
    statuses = [s for s, _, _ in results] + guesses + logins
    return {"statuses": statuses, "receipts": [r for _, r, _ in results if r],
            "slowest_s": max(t for _, _, t in results), "guesses_refused": guesses.count(429)}


def run(per_phase: int = 200) -> dict:
    port = free_port()
    home = tempfile.mkdtemp(prefix="battery-redis-")
    redis = _redis(port, home)
    try:
        with Server(workers=2, REDIS_URL=f"redis://127.0.0.1:{port}/0") as server:
            answers = valid_answers(server.port)
            tokens = invitations(3 * per_phase)
            health_up = json.loads(request("GET", server.port, "/healthz")[2])
            up = _phase(server.port, tokens[:per_phase], answers)
            os.killpg(redis.pid, signal.SIGKILL)
            redis.wait()
            down = _phase(server.port, tokens[per_phase:2 * per_phase], answers)
            health_status, _, body = request("GET", server.port, "/healthz")
            health_down = json.loads(body)
            with _hung(port):
                hung = _phase(server.port, tokens[2 * per_phase:], answers)
                health_hung = json.loads(request("GET", server.port, "/healthz", timeout=10)[2])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(redis.pid, signal.SIGKILL)
    receipts = up["receipts"] + down["receipts"] + hung["receipts"]
    stored = int(query("SELECT count(*) FROM response WHERE receipt IN ({})".format(
        ",".join(f"'{r}'" for r in receipts) or "''")))
    five = sum(s >= 500 for phase in (up, down, hung) for s in phase["statuses"])
    out = {"figure": "redis_down", "acknowledged": len(receipts), "stored": stored, "5xx": five,
           "acknowledged_while_down": len(down["receipts"]), "acknowledged_while_hung": len(hung["receipts"]),
           "healthz_up": health_up.get("redis"), "healthz_down": health_down.get("redis"),
           "healthz_down_status": health_status, "healthz_hung": health_hung.get("redis"),
           "slowest_submission_hung_s": round(hung["slowest_s"], 2),
           "guesses_refused_while_down": down["guesses_refused"]}
    out["ok"] = (stored == len(receipts) == 3 * per_phase and five == 0 and out["healthz_up"] == "ok"
                 and out["healthz_down"] == "down" and health_status == 200 and out["healthz_hung"] == "down"
                 and out["slowest_submission_hung_s"] < 5 and out["guesses_refused_while_down"] > 0)
    return out
