"""Item 7: security headers on every response."""
from __future__ import annotations

from battery.harness import Server, request

PATHS = ["/", "/healthz", "/login", "/api/v1/openapi.json", "/api/v1/waves/demo/questionnaire",
         "/no-such-page", "/s/unknown-token", "/k/SNV", "/dashboard/", "/admin/", "/results/demo"]
REQUIRED = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Strict-Transport-Security")


def run(server: Server) -> dict:
    missing = []
    for path in PATHS:
        status, headers, _ = request("GET", server.port, path)
        lower = {k.lower(): v for k, v in headers.items()}
        for name in REQUIRED:
            if name.lower() not in lower:
                missing.append(f"{path}: {name}")
        csp = lower.get("content-security-policy", "")
        if "'unsafe-inline'" in csp.split("script-src")[-1].split(";")[0] or "frame-ancestors" not in csp:
            missing.append(f"{path}: CSP allows inline script or lacks frame-ancestors")
        cookie = lower.get("set-cookie", "")
        if cookie and ("HttpOnly" not in cookie or "SameSite" not in cookie or "Secure" not in cookie):
            missing.append(f"{path}: cookie without HttpOnly/SameSite/Secure")
    return {"figure": "headers", "paths": len(PATHS), "problems": missing, "ok": not missing}
