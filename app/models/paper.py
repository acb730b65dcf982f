from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class PaperEntry(Base):
    """A paper form keyed in by desk staff; with double entry, a second keying must match."""

    __tablename__ = "paper_entry"
    __table_args__ = (UniqueConstraint("wave_id", "agency_id", "form_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    form_number: Mapped[str] = mapped_column(String(40))
    first_answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the processing unit the last keying gave (None: the receiving unit processed it); a
    # confirming keying must give the same
    processing_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    first_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    second_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, matched, mismatch
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentReview(Base):
    """Free-text answers are shown to officials only after an administrator approves them."""

    __tablename__ = "comment_review"
    __table_args__ = (UniqueConstraint("response_id", "question_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_code: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, approved, rejected
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
