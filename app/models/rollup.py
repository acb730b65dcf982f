"""Roll-ups: additive per-cell sums of a wave's responses, kept in the database (issue 15).

A *cell* is one combination of what the figures need to tell respondents apart: agency (the
receiving unit), design stratum, channel, language, service field, processing unit, the values of the wave's raking variables and the week
the response came in. Its row holds the number of respondents and, packed as bytes, the moments
of every measure (analysis.moments: n, Σs, Σa, Σs², Σsa, Σa² per measure, and the cross moments
of the rated items for the mean rule). Every figure is computed from these rows; no process holds
a wave's responses. ``response.rolled`` says which responses the rows already hold.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class RollupState(Base):
    """Per wave: what its cells hold (the layout of the packed moments) and a version that moves
    whenever a cell changes (it keys every figure computed from them)."""

    __tablename__ = "rollup_state"

    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True)
    layout: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RollupCell(Base):
    __tablename__ = "rollup_cell"
    __table_args__ = (UniqueConstraint("wave_id", "agency_id", "week", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    week: Mapped[date]  # the Monday of the week the responses came in
    # stratum, channel, language, service field, processing unit (agency code) and raking values,
    # joined by \x1f (app.results.rollup.KEY_PARTS)
    key: Mapped[str] = mapped_column(String(400))
    count: Mapped[int]
    moments: Mapped[bytes] = mapped_column(LargeBinary)


Index("ix_rollup_cell_wave", RollupCell.wave_id)
