from __future__ import annotations

from datetime import date

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base


class Response(Base):
    """One anonymous submission. Carries no identity: the date is coarsened to the day."""

    __tablename__ = "response"
    __table_args__ = (Index("ix_response_wave_agency", "wave_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    stratum: Mapped[str] = mapped_column(String(80), default="")
    channel: Mapped[str] = mapped_column(String(12))
    language: Mapped[str] = mapped_column(String(5))
    submitted_on: Mapped[date]
    # Unique: the database itself guarantees one response per invitation.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    excluded: Mapped[bool] = mapped_column(default=False)
    exclusion_reason: Mapped[str | None] = mapped_column(String(500))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Answer(Base):
    """Long format: one row per answered question. value NULL and text NULL = not applicable."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_code"),
        Index("ix_answer_question_value", "question_code", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_code: Mapped[str] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
