"""Item 3: generated bodies and headers for every form and API POST → 0 5xx and nothing stored
from invalid input; schemathesis against /api/v1/openapi.json → 0 failures."""
from __future__ import annotations

import json
import subprocess
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battery.harness import BIN, Server, csrf_token, flask, invitations, login, query, request

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                           | st.text(max_size=40), lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
CONTENT_TYPES = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/json; charset=latin-1", ""])
FORM_PATHS = ["/login", "/answer", "/k/SNV", "/k/SNV/start", "/k/SNV/reset", "/logout"]
ADMIN_FORMS = ["/admin/agencies/new", "/admin/agencies/import", "/admin/agencies/SNV/edit", "/admin/agencies/SNV/active",
               "/admin/waves/new", "/admin/waves/demo/edit", "/admin/waves/demo/frame", "/admin/waves/demo/margins",
               "/admin/waves/demo/invitations", "/admin/waves/demo/comments", "/admin/waves/demo/status",
               "/admin/accounts/new", "/admin/kiosk-keys", "/admin/api-keys", "/admin/questionnaires/new",
               "/admin/questionnaires/import", "/admin/responses/1", "/dashboard/demo/publish"]


def _schemathesis(server: Server, examples: int) -> dict:
    status, _, body = request("POST", server.port, "/api/v1/auth/token",
                              {"email": "official@example.org", "password": "Battery-password-1"})
    token = json.loads(body)["token"]
    done = subprocess.run([str(BIN / "schemathesis"), "run", f"http://127.0.0.1:{server.port}/api/v1/openapi.json",
                           "--checks", "all", "--max-examples", str(examples), "--no-color",
                           "-H", f"Authorization: Bearer {token}"], capture_output=True, text=True, timeout=900)
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return {"schemathesis_exit": done.returncode, "schemathesis_summary": tail}


def _admin_session(port: int) -> tuple[str, str]:
    """A logged-in administrator's cookie and a CSRF token for the admin forms."""
    flask("users", "create", "fuzz-admin@example.org", "--role", "admin", "--password-stdin",
          stdin="Battery-password-1\n")
    cookie = login(port, "fuzz-admin@example.org")
    _, _, page = request("GET", port, "/admin/agencies/new", headers={"Cookie": cookie})
    return cookie, csrf_token(page)


def run(server: Server, examples: int = 2000) -> dict:
    tokens = invitations(50)
    before = int(query("SELECT count(*) FROM response"))
    outcome = {"requests": 0, "5xx": 0, "accepted": 0}

    def send(method: str, path: str, raw: bytes, content_type: str) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        status = request(method, server.port, path, raw, headers=headers)[0]
        outcome["requests"] += 1
        outcome["5xx"] += status >= 500
        outcome["accepted"] += status == 201

    quiet = settings(max_examples=examples // 3, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))

    @quiet
    @given(answers=st.dictionaries(st.sampled_from(["f1_1", "late", "apology", "gender", "comments", "x"])
                                   | st.text(max_size=8), JSON_VALUES, max_size=6),
           token=st.sampled_from(tokens) | st.text(max_size=120), extra=JSON_VALUES, ctype=CONTENT_TYPES,
           garbage=st.binary(max_size=64))
    def api(answers, token, extra, ctype, garbage):
        body = {"invitation": token, "answers": answers}
        if extra is not None:
            body["language"] = extra
        raw = json.dumps(body).encode() if garbage == b"" else garbage + json.dumps(body).encode()[:40]
        send("POST", "/api/v1/responses", raw, ctype)

    @quiet
    @given(path=st.sampled_from(FORM_PATHS), fields=st.dictionaries(st.text(max_size=12), st.text(max_size=60),
                                                                    max_size=8), ctype=CONTENT_TYPES)
    def forms(path, fields, ctype):

        send("POST", path, urlencode(fields).encode(), ctype or "application/x-www-form-urlencoded")

    cookie, csrf = _admin_session(server.port)

    @quiet
    @given(path=st.sampled_from(ADMIN_FORMS), fields=st.dictionaries(
        st.sampled_from(["code", "name_vi", "name_en", "block", "slug", "count", "csv", "text", "status",
                         "reason", "email", "role", "agency", "label", "name", "period_start", "period_end",
                         "channels", "agencies", "survey_version", "response_id", "excluded"]) | st.text(max_size=8),
        st.text(max_size=80), max_size=8), with_token=st.booleans())
    def admin_forms(path, fields, with_token):

        if with_token:
            fields = dict(fields, csrf_token=csrf)
        status = request("POST", server.port, path, urlencode(fields).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})[0]
        outcome["requests"] += 1
        outcome["5xx"] += status >= 500
        outcome["admin_requests"] += 1

    outcome["admin_requests"] = 0
    api()
    forms()
    admin_forms()
    query("UPDATE wave SET status = 'open' WHERE slug = 'demo'")  # the fuzz may have closed it
    stored = int(query("SELECT count(*) FROM response")) - before
    st_result = _schemathesis(server, max(50, examples // 20))
    return {"figure": "fuzz", **outcome, "stored": stored, **st_result,
            "ok": outcome["5xx"] == 0 and stored == outcome["accepted"] and st_result["schemathesis_exit"] == 0}
