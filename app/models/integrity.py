"""Integrity review (issue 19): what a submission looked like from outside, the flags raised on it,
and the administrators' decisions.

``ResponseSignal`` holds what the checks need and the answers do not: when (to the minute), from
which source (a kiosk key, a paper keyer, as a keyed digest) and from which address (a keyed
digest, never the address), how long the form took, and the public parts of a dossier code (its unit and day).
It lives apart from the answers, is read by administrators only, and is deleted when the wave
closes (with the invitations' dossier digests).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

DECISIONS = ("keep", "exclude")


class ResponseSignal(Base):
    __tablename__ = "response_signal"

    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    submitted_at: Mapped[datetime]  # UTC, to the minute
    source: Mapped[str | None] = mapped_column(String(64))  # keyed digest of "kiosk:<key id>", "paper:<user id>"
    address: Mapped[str | None] = mapped_column(String(64))  # keyed digest of the client's address
    duration_seconds: Mapped[int | None]  # from the form's first page to its submission
    # A Decree 118 dossier code's public parts (never the code): the receiving unit's code and the
    # receiving day, to check that the unit is the rated one and the day not after the rating.
    dossier_unit: Mapped[str | None] = mapped_column(String(40))
    dossier_day: Mapped[date | None] = mapped_column(Date)


class ResponseFlag(Base):
    __tablename__ = "response_flag"
    __table_args__ = (UniqueConstraint("response_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlagDecision(Base):
    """An administrator's decision on a flagged response: keep it, or exclude it (reversible)."""

    __tablename__ = "flag_decision"

    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
