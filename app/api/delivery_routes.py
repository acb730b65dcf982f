"""POST /api/v1/delivery/<provider>: providers' delivery reports (⚑ contract in app/api/openapi.py).

The body is signed: header X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)> with
DELIVERY_WEBHOOK_SECRETS[provider] (env DELIVERY_WEBHOOK_SECRET_<PROVIDER>) or
DELIVERY_WEBHOOK_SECRET. No secret configured: 503, nothing read. The events are applied by
app.outbox.delivery (idempotent; unknown messages counted, not refused)."""
from __future__ import annotations

import json

from flask import current_app, jsonify, request
from flask_limiter.util import get_remote_address

from app.blueprints import api as bp
from app.errors import api_error
from app.extensions import configured_limit, db, limiter
from app.outbox import delivery


def _provider_key() -> str:
    return f"delivery:{(request.view_args or {}).get('provider', '')[:20]}:{get_remote_address()}"


@bp.post("/delivery/<provider>")
@limiter.limit(configured_limit("RATE_LIMIT_INTEGRATION"), key_func=_provider_key)
def delivery_report(provider: str):
    if provider not in delivery.PROVIDERS:
        return api_error(404, f"no provider '{provider[:40]}'; expected one of {', '.join(delivery.PROVIDERS)}",
                         "provider")
    secret = delivery.secret_for(provider, current_app.config)
    if not secret:
        return api_error(503, f"delivery reports from '{provider}' are not accepted: no secret is configured "
                              f"(DELIVERY_WEBHOOK_SECRET_{provider.upper()} or DELIVERY_WEBHOOK_SECRET)", "provider")
    raw = request.get_data(cache=False)
    if not delivery.signature_ok(secret, raw, request.headers.get("X-Signature")):
        return api_error(401, "expected X-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>",
                         "X-Signature")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return api_error(400, "the body is not valid JSON: expected an event object or a list of them", "body")
    try:
        events = delivery.parse(body)
    except delivery.BadEvent as exc:
        return api_error(400, str(exc), exc.field)
    updated, unknown = delivery.record(provider, events)
    db.session.commit()
    return jsonify(updated=updated, unknown=unknown)
