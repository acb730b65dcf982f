"""Delivery reports: POST /api/v1/delivery/<provider>, signed with HMAC-SHA256 of the raw body."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.outbox.queue import Content, enqueue


@pytest.fixture
def app_config():
    return {"DELIVERY_WEBHOOK_SECRETS": {"sms": "sms-secret"}, "DELIVERY_WEBHOOK_SECRET": "shared-secret"}


def sent_message(n: int, provider: str = "sms", provider_id: str | None = None, status: str = "sent") -> int:
    message = enqueue("invitation", "sms" if provider == "sms" else "zalo",
                      Content(to=f"8491234{n:04d}", subject="", text="x"), idempotency_key=f"invitation:{n}")
    message.status, message.provider, message.provider_message_id = status, provider, provider_id
    message.sent_at = utcnow()
    if status == "sent":
        message.sealed = None
    db.session.commit()
    return message.id


def post(client, provider: str, body, secret: str | None = "sms-secret", raw: bytes | None = None, signature=None):
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Signature"] = signature or "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    return client.post(f"/api/v1/delivery/{provider}", data=data, headers=headers)


def state(message_id: int):
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message_id)
    return row.status, row.delivered_at


def test_signed_reports_update_messages_by_provider_id_or_reference_idempotently(client):
    first, second, third = sent_message(1, provider_id="gw-1"), sent_message(2, provider_id="gw-2"), sent_message(3)
    events = [{"message_id": "gw-1", "status": "delivered", "at": "2026-12-03T08:00:00+07:00"},
              {"reference": f"outbox-{second}", "status": "bounced"},
              {"reference": f"outbox-{third}", "status": "failed"},
              {"message_id": "gw-unknown", "status": "delivered"},
              {"reference": "outbox-999999", "status": "delivered"}]
    answer = post(client, "sms", events)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"updated": 3, "unknown": 2}
    assert str(state(first)[1]) == "2026-12-03 01:00:00"
    assert state(first)[0] == "delivered"
    assert state(second) == ("bounced", None)
    assert state(third) == ("bounced", None)  # failed after the provider took it: sent, not arrived
    again = post(client, "sms", events)
    assert again.get_json() == {"updated": 3, "unknown": 2}
    assert str(state(first)[1]) == "2026-12-03 01:00:00"
    late = post(client, "sms", {"message_id": "gw-1", "status": "failed"})
    assert late.get_json() == {"updated": 1, "unknown": 0} and state(first)[0] == "delivered"


def test_a_provider_id_is_looked_up_under_that_provider_only(client):
    zalo = sent_message(1, provider="zalo", provider_id="same-id")
    assert post(client, "sms", {"message_id": "same-id", "status": "delivered"}).get_json() == {"updated": 0,
                                                                                                "unknown": 1}
    assert post(client, "zalo", {"message_id": "same-id", "status": "delivered"},
                secret="shared-secret").get_json() == {"updated": 1, "unknown": 0}
    assert state(zalo)[0] == "delivered"


def test_a_report_before_the_retry_stops_the_retry(client):
    waiting = sent_message(1, status="queued")  # timed out; the provider had taken it all the same
    assert post(client, "sms", {"reference": f"outbox-{waiting}", "status": "delivered"}).status_code == 200
    db.session.expire_all()
    row = db.session.get(OutboxMessage, waiting)
    assert (row.status, row.sealed) == ("delivered", None)


def test_bad_signature_is_401_and_changes_nothing(client):
    message = sent_message(1, provider_id="gw-1")
    body = {"message_id": "gw-1", "status": "delivered"}
    for answer in (post(client, "sms", body, secret="wrong"), post(client, "sms", body, secret=None),
                   post(client, "sms", body, signature="sha256=" + "0" * 64),
                   post(client, "sms", body, secret="shared-secret")):  # the provider's own secret wins
        assert answer.status_code == 401
        assert answer.get_json()["errors"][0]["field"] == "X-Signature"
    assert state(message)[0] == "sent"


@pytest.mark.parametrize(("body", "field"), [
    (b"{not json", "body"),
    (b"[]", "body"),
    (b'{"status": "delivered"}', "message_id"),
    (b'{"message_id": "x", "status": "opened"}', "status"),
    (b'[{"message_id": "x", "status": "delivered"}, {"reference": "y", "status": "delivered", "at": "soon"}]',
     "[1].at"),
    (b'[{"message_id": "x", "status": "delivered"}, 5]', "[1]"),
    (b'{"message_id": true, "status": "delivered"}', "message_id"),
])
def test_bad_bodies_are_400_naming_the_field(client, body, field):
    answer = post(client, "sms", None, raw=body)
    assert answer.status_code == 400
    assert answer.get_json()["errors"][0]["field"] == field


def test_unknown_provider_404_and_no_secret_503(app, client):
    assert post(client, "fax", {"message_id": "x", "status": "delivered"}).status_code == 404
    app.config["DELIVERY_WEBHOOK_SECRET"] = None
    answer = post(client, "zalo", {"message_id": "x", "status": "delivered"}, secret="anything")
    assert answer.status_code == 503
    assert "DELIVERY_WEBHOOK_SECRET_ZALO" in answer.get_json()["errors"][0]["message"]


def test_the_route_is_described_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/delivery/{provider}"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "413", "429", "503"}


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_INTEGRATION": "3/minute",
                                         "DELIVERY_WEBHOOK_SECRET": "shared-secret"}])
def test_reports_are_rate_limited_per_provider_and_address(client):
    body = {"message_id": "x", "status": "delivered"}
    answers = [post(client, "sms", body, secret="shared-secret").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert post(client, "zalo", body, secret="shared-secret").status_code == 200  # another provider's budget
