from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

# JSONB on PostgreSQL (keys can be read in SQL without re-parsing the document), JSON elsewhere.
AnswersType = JSON().with_variant(JSONB(), "postgresql")


class Response(Base):
    """One anonymous submission. Carries no identity: the date is coarsened to the day.

    `answers` holds the cleaned answers as one document {question code: value} ("na" = not
    applicable, dossier codes only as keyed digests). `coded` repeats the closed questions in the
    questionnaire's order, one character each (chr(48 + value), "-" not applicable, " " not
    asked; app/collect/store.py), so that a wave's estimates read one short string per response
    instead of a document.
    Both are written in the same INSERT: one row per response.
    """

    __tablename__ = "response"
    __table_args__ = (Index("ix_response_wave_agency", "wave_id", "agency_id"),
                      # the responses the roll-ups do not hold yet: a small index, read by every update
                      Index("ix_response_unrolled", "wave_id", postgresql_where=text("NOT rolled"),
                            sqlite_where=text("NOT rolled")))

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    # agency_id: the unit that received the dossier (and whose sample the response is);
    # processing_agency_id: the unit that processed it, where another (Decree 118/2025: one-stop
    # centres receive dossiers regardless of boundaries). Figures are attributed to either.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    processing_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    stratum: Mapped[str] = mapped_column(String(80), default="")
    channel: Mapped[str] = mapped_column(String(12))
    language: Mapped[str] = mapped_column(String(5))
    submitted_on: Mapped[date]
    # Unique: the database itself guarantees one response per invitation.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    # Keyed digest of the submission id an offline client (kiosk, collection app) sends with each
    # queued response, scoped to its kiosk key or invitation: a retried upload finds the first one
    # instead of counting twice. client_digest: keyed digest of that upload's payload, so that the
    # same id with other answers is refused (409) instead of silently dropped.
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_digest: Mapped[str | None] = mapped_column(String(64))
    excluded: Mapped[bool] = mapped_column(default=False)
    exclusion_reason: Mapped[str | None] = mapped_column(String(500))
    answers: Mapped[dict[str, Any]] = mapped_column(AnswersType, default=dict)
    coded: Mapped[str] = mapped_column(Text, default="")
    # Held by the wave's roll-ups (app.results.rollup): set when its sums are added, cleared when
    # they are taken out again (an exclusion). Never set by a submission.
    rolled: Mapped[bool] = mapped_column(default=False, server_default=false())
