"""The delivery outbox (issue 18): messages queued in the database and sent by `flask outbox run`.

A message's content (the address and the text, whose link holds a raw invitation or case token)
is sealed at rest (app/shared/sealed.py) and dropped once the message is sent or given up, so the
database keeps only what the funnel counts. An invitation's contact lives in its own table, sealed,
until the wave closes; an opt-out is kept as a keyed digest of the address only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

MESSAGE_CHANNELS = ("email", "sms", "zalo")
# invitation / reminder: to a citizen invited to a wave; case_answer, case_update: to a citizen
# who asked for an answer; case_reminder, digest: to staff (e-mail)
MESSAGE_KINDS = ("invitation", "reminder", "case_answer", "case_update", "case_reminder", "digest")
# queued → sending (claimed by one worker, until claimed_until) → sent → delivered | bounced;
# queued again with a later next_attempt_at after a temporary failure; failed after the last
# attempt or a permanent refusal; cancelled (opted out, wave closed) before it was sent.
MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "bounced", "failed", "cancelled")


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One message per purpose: queuing the same key twice finds the first (e.g. "invitation:42",
    # "reminder:42:1", "case-answer:7:1", "digest:3:2026-W49").
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id", ondelete="SET NULL"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_case.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Sealed JSON {"to", "subject", "text", "html"?, "template"?: {...}}; NULL once sent or given up.
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class InvitationContact(Base):
    """How to reach an invited citizen: sealed, kept only until the wave closes, never beside answers.

    ``token`` is the invitation's raw token, sealed, so that a reminder can carry the same link."""

    __tablename__ = "invitation_contact"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[bytes] = mapped_column(LargeBinary)
    token: Mapped[bytes] = mapped_column(LargeBinary)
    address_digest: Mapped[str] = mapped_column(String(64), index=True)  # keyed digest: opt-outs
    language: Mapped[str] = mapped_column(String(5), default="vi")
    reminders: Mapped[int] = mapped_column(default=0)


class OptOut(Base):
    """An address that asked for no more messages: for one wave, or for good (wave_id NULL)."""

    __tablename__ = "opt_out"
    __table_args__ = (UniqueConstraint("address_digest", "wave_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address_digest: Mapped[str] = mapped_column(String(64), index=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
