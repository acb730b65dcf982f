from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base

# Levels of a unit, in the order pages list them. Since 1 July 2025 local government has two
# levels (province, commune); "district" is kept for units before then (history).
LEVELS = ("province", "department", "district", "commune")


class Block(Base):
    """A group of agencies ranked together (departments, district committees, central agencies)."""

    __tablename__ = "block"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class Agency(Base):
    """An organisation unit, valid from ``valid_from`` to ``valid_to`` (inclusive; None = open).

    ``unit_code`` is the statistics office's code of the province or commune where one exists,
    ``one_stop_code`` the unit code the one-stop (dossier) system prints at the start of its
    dossier codes where it differs."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    level: Mapped[str] = mapped_column(String(16), default="department")
    active: Mapped[bool] = mapped_column(default=True)
    unit_code: Mapped[str | None] = mapped_column(String(20), index=True)
    one_stop_code: Mapped[str | None] = mapped_column(String(40))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    block: Mapped[Block] = relationship(lazy="joined")
    parent: Mapped[Agency | None] = relationship(remote_side=[id])

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_vi

    def valid_during(self, start: date | None, end: date | None = None) -> bool:
        """Whether the unit existed on some day of [start, end] (a day when end is None)."""
        end = start if end is None else end
        if start is not None and self.valid_to is not None and self.valid_to < start:
            return False
        return not (end is not None and self.valid_from is not None and self.valid_from > end)


class AgencyLineage(Base):
    """One row of a reorganisation: ``share`` of the old unit's transactions (or population) went
    to the new unit on ``effective_on``; an old unit's shares on one date sum to 1."""

    __tablename__ = "agency_lineage"
    __table_args__ = (UniqueConstraint("old_agency_id", "new_agency_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    old_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    new_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    share: Mapped[float] = mapped_column(Float)
    effective_on: Mapped[date] = mapped_column(Date)

    old: Mapped[Agency] = relationship(foreign_keys=[old_agency_id], lazy="joined")
    new: Mapped[Agency] = relationship(foreign_keys=[new_agency_id], lazy="joined")
