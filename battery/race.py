"""Item 1: 200 invitations × 32 concurrent submissions each → exactly 200 responses, 0 5xx."""
from __future__ import annotations

import http.client
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from battery.harness import Server, invitations, query, request, valid_answers


def run(servers: list[Server], invites: int = 200, copies: int = 32) -> dict:
    """Copies of each submission alternate between the instances (scale-out: one PostgreSQL)."""
    tokens = invitations(invites)
    body = valid_answers(servers[0].port)
    counter = iter(range(10**9))
    before = int(query("SELECT count(*) FROM response"))
    jobs = [t for t in tokens for _ in range(copies)]

    def submit(token: str) -> int:
        try:
            port = servers[next(counter) % len(servers)].port
            return request("POST", port, "/api/v1/responses",
                           {"invitation": token, "answers": body, "language": "vi"})[0]
        except (OSError, http.client.HTTPException):
            return 599

    with ThreadPoolExecutor(64) as pool:
        statuses = Counter(pool.map(submit, jobs))
    stored = int(query("SELECT count(*) FROM response")) - before
    duplicates = int(query("SELECT count(*) FROM (SELECT invitation_id FROM response WHERE invitation_id "
                           "IS NOT NULL GROUP BY invitation_id HAVING count(*) > 1) d"))
    five = sum(n for s, n in statuses.items() if s >= 500)
    return {"figure": "race", "instances": len(servers), "invitations": invites, "submissions": len(jobs), "stored": stored,
            "accepted_201": statuses[201], "refused_409": statuses[409], "5xx": five,
            "duplicates": duplicates, "ok": stored == invites and statuses[201] == invites and five == 0
            and duplicates == 0}
