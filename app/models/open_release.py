"""An open-data release (issue 20): a wave's published figures frozen at one moment, served at
stable URLs (/open/<wave>/<number>.csv|json) once an administrator publishes it (at once, or at the
end of an embargo). Never free text; figures of small groups and their complements suppressed."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.wave import Wave


class OpenRelease(Base):
    __tablename__ = "open_release"
    __table_args__ = (UniqueConstraint("wave_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1, 2, … per wave: the stable URL's version
    methodology_version: Mapped[str] = mapped_column(String(40))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the CSV
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    embargo_until: Mapped[datetime | None]  # UTC; published only from then on
    published_at: Mapped[datetime | None]  # set by the publish step (may lie in the future: the embargo)
    withdrawn_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
