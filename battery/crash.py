"""Item 2: kill -9 a gunicorn worker every half second and restart PostgreSQL once during 10,000
submissions; clients retry the same invitation. Every acknowledged submission is stored exactly
once, retries never duplicate, and the service recovers by itself."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from battery.harness import Server, invitations, query, request, valid_answers


def _restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True)


def run(servers: list[Server], total: int = 10_000) -> dict:
    """Submissions alternate between the instances; the chaos hits both."""
    first = int(query("SELECT coalesce(max(id), 0) FROM invitation")) + 1
    tokens = invitations(total)
    body = valid_answers(servers[0].port)
    acknowledged: set[str] = set()
    retries = [0]
    stop = threading.Event()
    kills = [0]
    restarts = [0]

    def chaos() -> None:
        # Submissions are fast now (1,000 in about 3 s with default limits): the chaos starts at
        # once — a worker killed every half second, PostgreSQL restarted after the first second —
        # so that even the short run meets both.
        started = time.time()
        while not stop.wait(0.5):
            pids = servers[kills[0] % len(servers)].worker_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                kills[0] += 1
            if not restarts[0] and time.time() - started > 1:
                _restart_postgres()
                restarts[0] += 1

    def submit(token: str) -> None:
        for attempt in range(200):
            try:
                port = servers[(hash(token) + attempt) % len(servers)].port
                status = request("POST", port, "/api/v1/responses",
                                 {"invitation": token, "answers": body}, timeout=10)[0]
            except (OSError, http.client.HTTPException):
                status = 599
            if status in (201, 409):  # 409 after a retry: the first attempt was stored
                acknowledged.add(token)
                return
            retries[0] += 1
            time.sleep(min(0.05 * (attempt + 1), 1.0))

    monkey = threading.Thread(target=chaos, daemon=True)
    started = time.time()
    monkey.start()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(submit, tokens))
    stop.set()
    monkey.join()
    elapsed = time.time() - started
    stored = int(query(f"SELECT count(*) FROM response WHERE invitation_id >= {first}"))
    duplicates = int(query("SELECT count(*) FROM (SELECT invitation_id FROM response WHERE invitation_id IS NOT "
                           "NULL GROUP BY invitation_id HAVING count(*) > 1) d"))
    healthy = all(request("GET", s.port, "/healthz")[0] == 200 for s in servers)
    return {"figure": "crash", "instances": len(servers), "submissions": total, "acknowledged": len(acknowledged), "stored": stored,
            "duplicates": duplicates, "workers_killed": kills[0], "postgres_restarts": restarts[0],
            "client_retries": retries[0], "seconds": round(elapsed, 1), "healthy_after": healthy,
            "ok": len(acknowledged) == total and stored == len(acknowledged) and duplicates == 0 and healthy
            and restarts[0] == 1}
