from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.agency import Agency
from app.models.base import Base, utcnow
from app.models.wave import Wave


class Invitation(Base):
    """An invitation to answer once. Only a keyed hash of the token is stored."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("wave_id", "dossier_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))  # the receiving unit
    # the unit that processed the dossier, when the integration or the issuer names one: its response inherits it
    processing_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    stratum: Mapped[str] = mapped_column(String(80), default="")
    # Keyed digest of the dossier code: refuses a second invitation for the same dossier.
    dossier_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # The channel its message went by (email, sms, zalo), or "link" when the issuer handed the link
    # over itself (a printed QR code, the one-stop software): the funnel's cells.
    channel: Mapped[str] = mapped_column(String(8), default="link", server_default="link")
    opened_at: Mapped[datetime | None]  # first time the link was opened (the funnel's "opened")

    wave: Mapped[Wave] = relationship()
    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])


class KioskKey(Base):
    """A device key an administrator issued for one agency's desk tablet."""

    __tablename__ = "kiosk_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    agency: Mapped[Agency] = relationship()


class ApiKey(Base):
    """An integration key (one-stop software) allowed to create invitations."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    # Invitations created on quota_day (UTC) against daily_limit (None: the setting
    # API_KEY_DAILY_INVITATIONS); counted by one conditional UPDATE (app/collect/issuing.py).
    daily_limit: Mapped[int | None]
    quota_day: Mapped[date | None]
    quota_used: Mapped[int] = mapped_column(default=0, server_default="0")
