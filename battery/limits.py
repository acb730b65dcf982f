"""Issue 12, items 9, 10 and 14 over real HTTP against gunicorn on PostgreSQL.

- bodies: 8 MB anonymous posts to /answer, /login, /logout (declared and chunked) → 413, and the
  CPU the workers spent on them (before: 3–4 s each);
- errors: a database outage → every 500 logged with the request id its page and X-Request-Id show
  (before: 458 errors, 0 log lines);
- uploads: a 17 KB workbook declaring A1:XFD1048576 (before: a 30 s hang), a compressed sheet of
  200,000 rows (before: 88 s, 1 GB), an XML entity bomb (before: 500) → a clear 400 within seconds;
  a YAML draft whose aliases repeat a long text (before: a 247 KB draft → a 220 MB row) → nothing
  stored.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

from battery.harness import BIN, ROOT, Server, csrf_token, env, free_port, login, query, request

EIGHT_MB = 8 * 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def _big_post(port: int, path: str, chunked: bool) -> int:
    """Send the headers and as much of 8 MB as the server takes; the status it answers."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {EIGHT_MB}\r\n") + "\r\n")
    block = b"a" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        with contextlib.suppress(OSError):
            for _ in range(EIGHT_MB // len(block)):
                sock.sendall(b"10000\r\n" + block + b"\r\n" if chunked else block)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        reply = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in reply:
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return int(match.group(1)) if match else 0


def bodies(server: Server) -> dict:
    results = []
    for path in ("/answer", "/login", "/logout"):
        for chunked in (False, True):
            before = _cpu_seconds(server.worker_pids())
            status = _big_post(server.port, path, chunked)
            results.append({"path": path, "chunked": chunked, "status": status,
                            "worker_cpu_ms": round(1000 * (_cpu_seconds(server.worker_pids()) - before))})
    worst = max(r["worker_cpu_ms"] for r in results)
    ok = all(r["status"] == 413 for r in results) and worst < 300
    return {"figure": "8 MB anonymous posts", "posts": results, "max_worker_cpu_ms": worst, "ok": ok}


def errors(count: int = 50) -> dict:
    """A server whose database does not exist: each 500's request id must be in the error log."""
    port, log = free_port(), ROOT / "instance" / "battery-outage.log"
    log.unlink(missing_ok=True)
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--error-logfile", str(log),
         "app:create_app()"], cwd=ROOT, env=env("sipas_battery_no_such_database", WARM_DASHBOARD="0"),
        start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with contextlib.suppress(OSError):
                if request("GET", port, "/healthz")[0] == 503:
                    break
            time.sleep(0.3)
        ids, statuses = [], []
        for i in range(count):
            status, headers, page = request("GET", port, "/" if i % 2 else "/api/v1/waves/demo/questionnaire")
            statuses.append(status)
            rid = headers.get("X-Request-Id", "")
            if status == 500 and rid and rid.encode() in page:
                ids.append(rid)
        time.sleep(1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        process.wait(timeout=20)
    written = log.read_text(errors="replace")
    logged = sum(1 for rid in ids if f"request_id={rid}" in written)
    return {"figure": "500s logged with their request id", "requests": count,
            "errors": statuses.count(500), "id_on_page": len(ids), "logged": logged,
            "ok": statuses.count(500) == count and logged == len(ids) == count}


def _workbooks() -> dict[str, bytes]:
    from tests.survey_definitions.test_workbook_guard import SHEET, plain_workbook, rewrite

    far = rewrite(plain_workbook(), SHEET, lambda xml: xml.replace(b'<dimension ref="A1:D2" />',
                                                                   b'<dimension ref="A1:XFD1048576" />').replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>text</t></is></c></row>' % (n, n)
                    for n in range(3, 200_000))
    many = rewrite(plain_workbook(), SHEET, lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>"))
    bomb = rewrite(plain_workbook(), SHEET, lambda xml: b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b '
                   b'"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' + xml)
    return {"A1:XFD1048576": far, "200,000 rows": many, "entity bomb": bomb}


def _multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "battery-boundary-7"
    out = io.BytesIO()
    for key, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
              "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _aliased(source: str) -> str:
    """The questionnaire with its first one-line question text made long and anchored, and every
    other one an alias of it: valid, and 1.2 MB of text once expanded (before: stored as such)."""
    lines = source.splitlines()
    texts = [i for i, line in enumerate(lines) if re.match(r"^\s+text: \{vi:", line)]
    size = 1_200_000 // (2 * max(len(texts), 1))
    for n, i in enumerate(texts):
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = f"{indent}text: " + (f"&long {{vi: {'x' * size}, en: {'y' * size}}}" if n == 0 else "*long")
    return "\n".join(lines) + "\n"


def _token(port: int, cookie: str, path: str) -> tuple[str, str]:
    """A CSRF token from the page and the session cookie that holds it (the page may renew it)."""
    _, headers, page = request("GET", port, path, headers={"Cookie": cookie})
    return csrf_token(page), headers.get("Set-Cookie", "").split(";")[0] or cookie


def uploads(server: Server) -> dict:
    cookie = login(server.port, "admin@example.org")
    results = []
    for label, data in _workbooks().items():
        token, cookie = _token(server.port, cookie, "/admin/questionnaires/import")
        body, kind = _multipart({"csrf_token": token, "slug": ""}, "f.xlsx", data)
        started = time.monotonic()
        status, _, _ = request("POST", server.port, "/admin/questionnaires/import", body,
                               headers={"Content-Type": kind, "Cookie": cookie}, timeout=120)
        results.append({"upload": label, "bytes": len(data), "status": status,
                        "seconds": round(time.monotonic() - started, 2)})
    # The YAML editor: a draft whose aliases repeat a 2,000-character text 600 times.
    token, cookie = _token(server.port, cookie, "/admin/questionnaires")
    version = query("SELECT id FROM survey_version WHERE slug = 'sipas-2017' ORDER BY version DESC LIMIT 1")
    form = {"csrf_token": token, "from": version, "slug": "battery-alias"}
    status, _, _ = request("POST", server.port, "/admin/questionnaires/new", urlencode(form).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    draft = query("SELECT id FROM survey_version WHERE slug = 'battery-alias' ORDER BY id DESC LIMIT 1")
    if not draft:
        raise RuntimeError(f"creating a draft failed: {status}")
    source = query(f"SELECT source FROM survey_version WHERE id = {draft}")
    alias = _aliased(source)
    if alias.count("*long") < 2:
        raise RuntimeError("the questionnaire has no one-line question texts to alias")
    token, cookie = _token(server.port, cookie, f"/admin/questionnaires/{draft}/edit")
    started = time.monotonic()
    status, _, _ = request("POST", server.port, f"/admin/questionnaires/{draft}/edit",
                           urlencode({"csrf_token": token, "source": alias}).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    stored = int(query(f"SELECT octet_length(definition::text) FROM survey_version WHERE id = {draft}") or 0)
    results.append({"upload": "YAML aliases (one long question text repeated)", "bytes": len(alias), "status": status,
                    "seconds": round(time.monotonic() - started, 2), "definition_bytes_stored": stored})
    ok = (all(r["status"] == 400 and r["seconds"] < 10 for r in results[:-1])
          and results[-1]["definition_bytes_stored"] < 10_000)
    return {"figure": "uploads that hung or exploded", "uploads": results, "ok": ok}
