"""Item 6: no raw token stored or logged; guessing finds nothing and gets throttled;
unknown, used and expired tokens are indistinguishable."""
from __future__ import annotations

import secrets

from battery.harness import Server, invitations, query, request, valid_answers


def _dump_text() -> str:
    """Every text value in the database, one big string to search for raw tokens."""
    tables = query("SELECT table_name FROM information_schema.tables WHERE table_schema='public'").split()
    return "\n".join(query(f"SELECT t::text FROM {name} t") for name in tables)


def run(server: Server, guarded: Server) -> dict:
    tokens = invitations(20)
    body = valid_answers(server.port)
    request("POST", server.port, "/api/v1/responses", {"invitation": tokens[0], "answers": body})
    for token in tokens[:3]:
        request("GET", server.port, f"/s/{token}")
    query("UPDATE invitation SET expires_at = now() - interval '1 day' WHERE id = (SELECT min(id) FROM "
          "invitation WHERE used_at IS NULL)")
    dump = _dump_text()
    log = server.log.read_text(errors="replace") if server.log.exists() else ""
    raw_in_db = sum(t in dump for t in tokens)
    raw_in_log = sum(t in log for t in tokens)
    # Identical answers for a used, an expired and an unknown token (API and link page).
    expired = None
    for token in tokens[1:]:
        status, _, page = request("POST", server.port, "/api/v1/responses", {"invitation": token, "answers": {}})
        if status == 400 and b"invitation" in page:
            expired = token
            break
    unknown = secrets.token_urlsafe(24)
    pages = {name: request("GET", server.port, f"/s/{tok}")[::2] for name, tok in
             (("used", tokens[0]), ("unknown", unknown), ("expired", expired or unknown))}
    same_pages = len({(s, b) for s, b in pages.values()}) == 1
    # 1,000 guesses against the token endpoints, with the production rate limits (guarded server).
    hits, throttled = 0, 0
    for _ in range(1000):
        guess = secrets.token_urlsafe(24)
        status, _, page = request("POST", guarded.port, "/api/v1/responses", {"invitation": guess, "answers": {}})
        hits += status in (201, 409)
        throttled += status == 429
    return {"figure": "tokens", "raw_tokens_in_database": raw_in_db, "raw_tokens_in_logs": raw_in_log,
            "guesses": 1000, "guess_hits": hits, "guesses_throttled": throttled,
            "used_unknown_expired_identical": same_pages,
            "ok": raw_in_db == 0 and raw_in_log == 0 and hits == 0 and throttled > 0 and same_pages}
