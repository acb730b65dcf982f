"""Kiosk keys: a tablet at an agency's desk may collect answers for that agency only.

An administrator issues a key (`flask kiosk issue --agency CODE`); the device receives it once
through its setup link and keeps it in a long-lived HttpOnly cookie. Only a keyed hash is stored.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, KioskKey, User, Wave
from app.models.base import utcnow
from app.models.wave import WAVE_OPEN, wave_agency
from app.services import audit
from app.services.secrets import keyed_digest, new_token

PURPOSE = "kiosk-key"
COOKIE = "sipas_kiosk"


@dataclass(frozen=True)
class IssuedKey:
    key: str
    setup_url: str
    row: KioskKey


def _hash(key: str) -> str:
    return keyed_digest(key, PURPOSE)


def kiosk_url(agency: Agency) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/k/{agency.code}"


def issue(agency: Agency, label: str = "", actor: User | None = None) -> IssuedKey:
    key = new_token()
    row = KioskKey(key_hash=_hash(key), agency_id=agency.id, label=label[:200])
    db.session.add(row)
    db.session.flush()
    audit.record("kiosk.issue", "kiosk_key", row.id, user=actor, after={"agency": agency.code, "label": label})
    return IssuedKey(key, f"{kiosk_url(agency)}?key={key}", row)


def revoke(row: KioskKey, actor: User | None = None) -> None:
    row.revoked_at = utcnow()
    db.session.flush()
    audit.record("kiosk.revoke", "kiosk_key", row.id, user=actor)


def keys_of(agency: Agency) -> list[KioskKey]:
    return list(db.session.scalars(select(KioskKey).where(KioskKey.agency_id == agency.id).order_by(KioskKey.id)))


def find(key: str | None, agency: Agency) -> KioskKey | None:
    """The valid (not revoked) key for this agency, or None."""
    if not key or not isinstance(key, str) or len(key) > 100:
        return None
    row = db.session.scalar(select(KioskKey).where(KioskKey.key_hash == _hash(key)))
    if row is None or row.revoked_at is not None or row.agency_id != agency.id:
        return None
    return row


def touch(row: KioskKey) -> None:
    row.last_used_at = utcnow()


def wave_for(agency: Agency) -> Wave | None:
    """The open wave that collects kiosk answers for this agency (the most recent if several)."""
    candidates = db.session.scalars(
        select(Wave).join(wave_agency, wave_agency.c.wave_id == Wave.id)
        .where(wave_agency.c.agency_id == agency.id, Wave.status == WAVE_OPEN)
        .order_by(Wave.period_start.desc(), Wave.id.desc()))
    return next((w for w in candidates if "kiosk" in (w.channels or [])), None)
