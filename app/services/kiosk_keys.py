"""Kiosk keys: a device key per agency desk tablet. Shown once when issued; only its digest is kept."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Agency, KioskKey, User
from app.models.base import utcnow
from app.services import audit
from app.services.admin_errors import AdminError
from app.services.secrets import keyed_digest, new_token

PURPOSE = "kiosk-key"


def digest(raw_key: str) -> str:
    return keyed_digest(raw_key, PURPOSE)


def list_keys(agency_id: int | None = None) -> list[KioskKey]:
    query = select(KioskKey).join(Agency).order_by(Agency.code, KioskKey.created_at.desc())
    if agency_id is not None:
        query = query.where(KioskKey.agency_id == agency_id)
    return list(db.session.scalars(query))


def issue(agency: Agency, label: str = "", actor: User | None = None) -> tuple[str, KioskKey]:
    """A new key for an agency's desk; the raw key is returned once and never stored."""
    if not agency.active:
        raise AdminError("agency", f"agency {agency.code} is deactivated")
    raw = new_token()
    row = KioskKey(key_hash=digest(raw), agency_id=agency.id, label=label.strip()[:200])
    db.session.add(row)
    db.session.flush()
    audit.record("kiosk_key.issue", "kiosk_key", row.id, user=actor,
                 after={"agency": agency.code, "label": row.label})
    return raw, row


def revoke(key: KioskKey, actor: User | None = None) -> None:
    if key.revoked_at is not None:
        return
    key.revoked_at = utcnow()
    db.session.flush()
    audit.record("kiosk_key.revoke", "kiosk_key", key.id, user=actor,
                 after={"agency": key.agency.code, "label": key.label})


def verify(agency: Agency, raw_key: str) -> KioskKey | None:
    """The agency's live key matching raw_key (and mark it used), else None."""
    if not raw_key or len(raw_key) > 100:
        return None
    row = db.session.scalar(select(KioskKey).where(KioskKey.key_hash == digest(raw_key)))
    if row is None or row.agency_id != agency.id or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return row
