"""Issue 12, item 3: the rated agency cannot rate itself. Over real HTTP against gunicorn, an
agency account tries every way to add responses or the means to (paper entry, kiosk keys,
invitations, integration keys) and to read individual responses; the figure counts attempts and
what the database gained. An entry account and an administrator doing the same work are the
controls: the paths work, only the rated agency is refused."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from battery.harness import csrf_token, flask, login, query, request

PASSWORD = "Battery-password-1"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _account(email: str, role: str, agency: str = "SNV") -> None:
    if query(f"SELECT count(*) FROM user_account WHERE email = '{email}'") == "0":
        flask("users", "create", email, "--role", role, "--agency", agency, "--password-stdin", stdin=PASSWORD + "\n")


def _counts() -> dict[str, int]:
    tables = {"responses": "response", "kiosk_keys": "kiosk_key", "invitations": "invitation", "api_keys": "api_key"}
    return {name: int(query(f"SELECT count(*) FROM {table}")) for name, table in tables.items()}


def _paper_form(port: int) -> dict:
    """A complete paper form: the wave's questionnaire, every shown question answered."""
    from battery.harness import valid_answers

    answers = valid_answers(port)
    return {"_page": "0", "_shown": " ".join(answers), **{k: str(v) for k, v in answers.items()}}


def _post(port: int, cookie: str, path: str, data: dict):
    status, headers, _ = request("POST", port, path, urlencode(data).encode(), headers={**FORM, "Cookie": cookie})
    return status


def _token(port: int, cookie: str) -> tuple[str, str]:
    """A CSRF token and the session cookie that holds it (the page may renew the cookie)."""
    _, headers, page = request("GET", port, "/", headers={"Cookie": cookie})
    renewed = headers.get("Set-Cookie", "").split(";")[0]
    return csrf_token(page), renewed or cookie


def _attempts(port: int, cookie: str, form: dict, number: str) -> list[tuple[str, int]]:
    token, cookie = _token(port, cookie)
    response_id = query("SELECT max(id) FROM response WHERE agency_id = (SELECT id FROM agency WHERE code = 'SNV')")
    posts = [("paper entry", "/paper/demo", {**form, "form_number": number}),
             ("kiosk key", "/admin/kiosk-keys", {"agency": "SNV", "label": "self"}),
             ("invitations", "/admin/waves/demo/invitations", {"agency": "SNV", "count": "50", "output": "csv"}),
             ("integration key", "/admin/api-keys", {"name": "self", "agency": "SNV"})]
    done = [(name, _post(port, cookie, path, {**data, "csrf_token": token})) for name, path, data in posts]
    reads = [("paper page", "/paper"), ("response list", "/admin/waves/demo/responses"),
             ("response detail", f"/admin/responses/{response_id}")]
    done += [(name, request("GET", port, path, headers={"Cookie": cookie})[0]) for name, path in reads]
    return done


def _api_rows(port: int, email: str) -> set[str]:
    status, _, body = request("POST", port, "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    token = json.loads(body)["token"] if status == 200 else ""
    agencies = set()
    for by in ("", "block", "agency"):
        status, _, body = request("GET", port, f"/api/v1/waves/demo/estimates?by={by}",
                                  headers={"Authorization": f"Bearer {token}"})
        agencies |= {str(r.get("agency")) for r in json.loads(body).get("rows", [])} if status == 200 else {"?"}
    return agencies


def run(server) -> dict:
    port = server.port
    _account("self-rating@example.org", "agency")
    _account("desk-entry@example.org", "entry")
    form = _paper_form(port)
    before = _counts()
    agency = login(port, "self-rating@example.org")
    tried = _attempts(port, agency, form, "SELF-1")
    after_agency = _counts()
    gained = {k: after_agency[k] - before[k] for k in before}
    succeeded = [name for name, status in tried if status < 400]
    forbidden = sum(status == 403 for _, status in tried)  # refused for the role, not for a bad form
    api_agencies = _api_rows(port, "self-rating@example.org")
    # controls: the same paths work for those whose job it is
    token, entry = _token(port, login(port, "desk-entry@example.org"))
    entry_paper = _post(port, entry, "/paper/demo", {**form, "form_number": "DESK-1", "csrf_token": token})
    token, admin = _token(port, login(port, "admin@example.org"))
    admin_key = _post(port, admin, "/admin/kiosk-keys", {"agency": "SNV", "label": "desk", "csrf_token": token})
    controls = {k: v - after_agency[k] for k, v in _counts().items()}
    audited = int(query("SELECT count(*) FROM audit_event WHERE action IN ('paper.enter', 'kiosk.issue') "
                        "AND user_id IS NOT NULL"))
    return {"figure": "self-rating", "agency_attempts": len(tried), "agency_successes": len(succeeded),
            "agency_forbidden": forbidden, "succeeded": succeeded, "created_by_agency": gained, "api_agencies_seen": sorted(api_agencies),
            "entry_paper_status": entry_paper, "admin_kiosk_key_status": admin_key, "controls_created": controls,
            "audited_controls": audited,
            "ok": (not succeeded and forbidden == len(tried) and not any(gained.values()) and api_agencies == {"SNV"}
                   and controls["responses"] == 1 and controls["kiosk_keys"] == 1 and audited >= 2)}
