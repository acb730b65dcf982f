"""Feedback cases (phản ánh, kiến nghị): a citizen's complaint or request that a unit must answer.

A case never points at the response it came from: the unit reads the text and the category, never
which answers the complainant gave. Contact details live in their own table, encrypted, and are
deleted a configurable number of days after the case closes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.agency import Agency
from app.models.base import Base, utcnow

CASE_STATES = ("new", "assigned", "answered", "closed")
# The five SIPAS factors (access, procedures, civil servants, results, feedback handling), or other.
CASE_CATEGORIES = ("access", "procedures", "civil_servants", "results", "feedback", "other")
CASE_KINDS = ("request", "dissatisfied")  # asked for an answer / opened by a dissatisfied rating
CONTACT_CHANNELS = ("email", "sms", "zalo")
HOLIDAY_KINDS = ("holiday", "workday")  # a day off on a weekday / a working day on a weekend


class FeedbackCase(Base):
    __tablename__ = "feedback_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the status link /c/<token>
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)  # the unit that must answer
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(20), default="other")
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="vi")
    state: Mapped[str] = mapped_column(String(12), default="new", index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    reopened: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[bool | None] = mapped_column()  # the citizen's verdict on the handling
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()


class CaseContact(Base):
    """How to reach the citizen: encrypted at rest (CASE_CONTACT_KEY), never shown to officials."""

    __tablename__ = "case_contact"

    case_id: Mapped[int] = mapped_column(ForeignKey("feedback_case.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token
    # the status link's raw token, sealed the same way, so that an answer sent through the outbox
    # can carry the link (NULL for cases opened before the outbox existed)
    token: Mapped[bytes | None] = mapped_column(LargeBinary)
    delete_after: Mapped[date | None] = mapped_column(Date)


class CaseEvent(Base):
    """Every change of a case: who, when, from which state to which, and a note."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("feedback_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")


class Holiday(Base):
    """A day of the working-day calendar that differs from Monday-Friday: a public holiday (or a
    substitute day off) on a weekday, or a working day on a weekend (a swap)."""

    __tablename__ = "holiday"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="holiday")
    name_vi: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
