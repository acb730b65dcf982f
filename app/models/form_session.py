from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.agency import Agency
from app.models.base import Base, utcnow
from app.models.invitation import Invitation, KioskKey
from app.models.wave import Wave


class FormSession(Base):
    """A questionnaire being answered: the answers of the pages done so far, kept on the server.

    The browser holds only a random key (in the signed session cookie); this row holds its keyed
    hash. Once the response is stored, ``done_at`` is set and the answers are cleared.
    """

    __tablename__ = "form_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(12))
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"))
    kiosk_key_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_key.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    page: Mapped[int] = mapped_column(default=0)
    receipt: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    done_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
    agency: Mapped[Agency] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    kiosk_key: Mapped[KioskKey | None] = relationship()
