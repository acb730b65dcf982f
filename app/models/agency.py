from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base


class Block(Base):
    """A group of agencies ranked together (departments, district committees, central agencies)."""

    __tablename__ = "block"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    level: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)

    block: Mapped[Block] = relationship(lazy="joined")
    parent: Mapped[Agency | None] = relationship(remote_side=[id])

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_vi
