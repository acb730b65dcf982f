from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.invitation import KioskKey


class KioskDevice(Base):
    """One desk tablet set up with a kiosk key.

    An administrator's setup link carries a one-time, short-lived setup code (never the kiosk key);
    opening it exchanges the code for a device secret of this tablet alone, kept in its cookie. The
    link is dead after that. Only keyed hashes of the code and the secret are stored; revoking the
    key shuts out all its devices.
    """

    __tablename__ = "kiosk_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_key_id: Mapped[int] = mapped_column(ForeignKey("kiosk_key.id"), index=True)
    setup_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime]
    device_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]

    kiosk_key: Mapped[KioskKey] = relationship()
