"""Transport and caching rules for every response: HSTS outside debug, and no shared or
back/forward cache for pages that carry answers, accounts or figures not yet public."""
from __future__ import annotations

from flask import Flask, Response, current_app, request

# Administrators' pages, the officials' and agencies' dashboard (agency pages included), the
# JSON API's data and everything about logging in. Published results (/results/) may be cached.
NO_STORE_PREFIXES = ("/admin", "/dashboard", "/api/", "/login", "/logout", "/account", "/reset")
CACHEABLE = ("/api/v1/openapi.json",)


def set_transport_headers(response: Response) -> Response:
    config = current_app.config
    if config.get("HSTS_ENABLED") and config.get("HSTS_SECONDS"):
        response.headers.setdefault("Strict-Transport-Security", f"max-age={int(config['HSTS_SECONDS'])}")
    path = request.path
    if path.startswith(NO_STORE_PREFIXES) and path not in CACHEABLE:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_transport_headers)
