"""Delivery reports from the providers (POST /api/v1/delivery/<provider>): signature check and
applying the events. The route parses; this module verifies and records.

An event names a message by the provider's id (``message_id``, as the adapter stored it) or by our
reference ``outbox-<id>``; its status is delivered, bounced or failed. A provider's "failed" after
it took the message is stored as "bounced": the message was sent (the funnel counts it so) but
did not arrive. Events are idempotent (the same report twice changes nothing more); an event for
a message we do not know is ignored and counted.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.outbox.outcome import message_id_from_reference

PROVIDERS = ("smtp", "sms", "zalo")
EVENT_STATUSES = ("delivered", "failed", "bounced")
STORED = {"delivered": "delivered", "bounced": "bounced", "failed": "bounced"}


class BadEvent(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Event:
    message_id: str | None
    reference: str | None
    status: str
    at: datetime | None


def secret_for(provider: str, config: Mapping[str, Any]) -> str | None:
    return (config.get("DELIVERY_WEBHOOK_SECRETS") or {}).get(provider) or config.get("DELIVERY_WEBHOOK_SECRET")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return hmac.compare_digest(signature(secret, body).encode(), (header or "").strip().lower().encode())


def _time(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadEvent(field, "expected an ISO 8601 time such as 2026-12-03T10:15:00Z")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadEvent(field, "expected an ISO 8601 time such as 2026-12-03T10:15:00Z") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def parse(body: Any) -> list[Event]:
    """One event or a list of them → Events. Raises BadEvent naming the field ("[2].status")."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise BadEvent("body", "expected an event or a non-empty list of events")
    if len(items) > 1000:
        raise BadEvent("body", "at most 1000 events per call")
    events = []
    for number, item in enumerate(items):
        where = f"[{number}]." if isinstance(body, list) else ""
        if not isinstance(item, dict):
            raise BadEvent(f"[{number}]" if where else "body", "expected a JSON object")
        message_id, ref = item.get("message_id"), item.get("reference")
        if message_id is None and ref is None:
            raise BadEvent(f"{where}message_id", "expected message_id (the provider's id) or reference (outbox-<id>)")
        for name, value in (("message_id", message_id), ("reference", ref)):
            if value is not None and (not isinstance(value, (str, int)) or isinstance(value, bool)
                                      or not 0 < len(str(value)) <= 200):
                raise BadEvent(f"{where}{name}", "expected a string of 1 to 200 characters")
        status = item.get("status")
        if status not in EVENT_STATUSES:
            raise BadEvent(f"{where}status", f"expected one of {', '.join(EVENT_STATUSES)}")
        events.append(Event(message_id=None if message_id is None else str(message_id),
                            reference=None if ref is None else str(ref), status=status,
                            at=_time(item.get("at"), f"{where}at")))
    return events


def _find(provider: str, event: Event) -> OutboxMessage | None:
    if event.reference is not None:
        number = message_id_from_reference(event.reference)
        found = db.session.get(OutboxMessage, number) if number is not None else None
        if found is not None:
            return found
    if event.message_id is not None:
        return db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.provider == provider, OutboxMessage.provider_message_id == event.message_id).limit(1))
    return None


def record(provider: str, events: list[Event]) -> tuple[int, int]:
    """Apply the events (flush; the caller commits): (updated, unknown)."""
    updated = unknown = 0
    for event in events:
        message = _find(provider, event)
        if message is None or message.status == "cancelled":
            unknown += 1
            continue
        updated += 1
        new = STORED[event.status]
        if message.status == new:
            continue  # the same report again
        if message.status == "delivered" and new == "bounced" and event.status == "failed":
            continue  # a late "failed" does not undo a delivery
        message.status = new
        message.sealed = None  # it reached the provider: never sent again
        message.claimed_until = None
        if new == "delivered":
            message.delivered_at = event.at or utcnow()
    db.session.flush()
    return updated, unknown
