"""Queue a message: one row, sealed, in the caller's transaction (never sent on a request's path).

Every message has an idempotency key naming its purpose ("invitation:42", "reminder:42:1",
"case-answer:7:2", "digest:3:2026-W49"): queuing the same key again returns the first message and
adds nothing, so a producer may run as often as it likes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.models.outbox import MESSAGE_CHANNELS, MESSAGE_KINDS
from app.shared import sealed


@dataclass(frozen=True)
class Content:
    """What a message says. ``text`` is the plain body (the whole SMS); ``html`` an optional e-mail
    alternative; ``params`` the values a pre-approved Zalo ZNS template takes (ZNS sends no free
    text: the template id comes from the settings, by the message's kind)."""

    to: str
    subject: str
    text: str
    html: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"to": self.to, "subject": self.subject, "text": self.text, "params": self.params}
        if self.html is not None:
            out["html"] = self.html
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Content:
        return cls(to=data["to"], subject=data.get("subject", ""), text=data.get("text", ""),
                   html=data.get("html"), params=data.get("params") or {})


def enqueue(kind: str, channel: str, content: Content, *, idempotency_key: str, language: str = "vi",
            wave_id: int | None = None, agency_id: int | None = None, invitation_id: int | None = None,
            case_id: int | None = None, user_id: int | None = None,
            not_before: datetime | None = None) -> OutboxMessage:
    """Queue one message (flushes; the caller commits). The same key again: the first message."""
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if channel not in MESSAGE_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    found = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key))
    if found is not None:
        return found
    message = OutboxMessage(idempotency_key=idempotency_key, kind=kind, channel=channel, language=language,
                            wave_id=wave_id, agency_id=agency_id, invitation_id=invitation_id, case_id=case_id,
                            user_id=user_id, sealed=sealed.seal_json(content.as_json()), status="queued",
                            attempts=0, next_attempt_at=not_before or utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def content_of(message: OutboxMessage) -> Content | None:
    """The sealed content (None once the message was sent or given up)."""
    return Content.from_json(sealed.unseal_json(message.sealed)) if message.sealed is not None else None
