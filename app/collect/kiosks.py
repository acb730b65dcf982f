"""Kiosk keys: a tablet at an agency's desk may collect answers for that agency only.

An administrator issues a key (`flask kiosk issue --agency CODE`). A collection app sends the key
itself (X-Kiosk-Key). A browser tablet is set up through a setup link that carries a one-time setup
code, valid for KIOSK_SETUP_HOURS: opening it exchanges the code for a device secret of that tablet
(a long-lived HttpOnly cookie) and redirects to the bare kiosk address, so that neither the key nor
a working code stays in the browser's history. Only keyed hashes are stored. A key is refused for a
deactivated agency, whoever asks (the admin pages and the command line alike).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.models import Agency, KioskDevice, KioskKey, User, Wave
from app.models.base import utcnow
from app.models.wave import WAVE_OPEN, wave_agency
from app.shared import audit
from app.shared.refusal import Refusal
from app.shared.secrets import keyed_digest, new_token

PURPOSE = "kiosk-key"
SETUP_PURPOSE, DEVICE_PURPOSE = "kiosk-setup", "kiosk-device"
COOKIE = "sipas_kiosk"
SETUP_HOURS = 24  # default of the KIOSK_SETUP_HOURS setting


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
    """A new key; `key` is for collection apps, `setup_url` sets up one browser tablet. The raw key
    (and its setup link) is returned once, never stored."""
    if not agency.active:
        raise Refusal("agency", _("agency %(code)s is deactivated", code=agency.code))
    if agency.valid_to is not None and agency.valid_to < date.today():
        raise Refusal("agency", _("%(code)s no longer exists: it ended on %(day)s", code=agency.code,
                                  day=agency.valid_to.isoformat()))
    label = label.strip()
    key = new_token()
    row = KioskKey(key_hash=_hash(key), agency_id=agency.id, label=label[:200])
    db.session.add(row)
    db.session.flush()
    audit.record("kiosk.issue", "kiosk_key", row.id, user=actor, after={"agency": agency.code, "label": label})
    return IssuedKey(key, setup_url(row, agency), row)


def setup_url(row: KioskKey, agency: Agency) -> str:
    """A new one-time setup link for another tablet with this key (the code is shown once)."""
    code = new_token()
    hours = current_app.config.get("KIOSK_SETUP_HOURS", SETUP_HOURS)
    db.session.add(KioskDevice(kiosk_key_id=row.id, setup_hash=keyed_digest(code, SETUP_PURPOSE),
                               setup_expires_at=utcnow() + timedelta(hours=hours)))
    db.session.flush()
    return f"{kiosk_url(agency)}?key={code}"


def exchange(code: str | None, agency: Agency) -> str | None:
    """Use up a setup code of this agency's valid key: the new device secret, or None (unknown,
    used, expired, revoked or another agency's code). One conditional UPDATE: of two tablets
    opening the same link, one gets a secret."""
    if not code or not isinstance(code, str) or len(code) > 100:
        return None
    secret = new_token()
    valid_keys = select(KioskKey.id).where(KioskKey.agency_id == agency.id, KioskKey.revoked_at.is_(None))
    claimed = db.session.execute(
        update(KioskDevice)
        .where(KioskDevice.setup_hash == keyed_digest(code, SETUP_PURPOSE),
               KioskDevice.setup_expires_at >= utcnow(), KioskDevice.kiosk_key_id.in_(valid_keys))
        .values(setup_hash=None, device_hash=keyed_digest(secret, DEVICE_PURPOSE), activated_at=utcnow())
        .execution_options(synchronize_session=False))
    return secret if claimed.rowcount == 1 else None


def device_key(secret: str | None, agency: Agency) -> KioskKey | None:
    """The valid key of the tablet holding this device secret, for this agency, or None."""
    if not secret or not isinstance(secret, str) or len(secret) > 100:
        return None
    row = db.session.scalar(select(KioskKey).join(KioskDevice, KioskDevice.kiosk_key_id == KioskKey.id)
                            .where(KioskDevice.device_hash == keyed_digest(secret, DEVICE_PURPOSE)))
    if row is None or row.revoked_at is not None or row.agency_id != agency.id:
        return None
    return row


def from_cookie(cookie: str | None, agency: Agency) -> KioskKey | None:
    """The key of the tablet with this cookie: a device secret, or (tablets set up before device
    secrets, until their next visit to the kiosk page) the raw key itself."""
    return device_key(cookie, agency) or find(cookie, agency)


def adopt_legacy(cookie: str | None, agency: Agency) -> tuple[KioskKey, str] | None:
    """A tablet set up before device secrets holds the raw key in its cookie: give it a device
    secret of its own (key row, new secret), so that the key leaves the browser."""
    row = find(cookie, agency)
    if row is None:
        return None
    secret = new_token()
    db.session.add(KioskDevice(kiosk_key_id=row.id, setup_expires_at=utcnow(), activated_at=utcnow(),
                               device_hash=keyed_digest(secret, DEVICE_PURPOSE)))
    db.session.flush()
    return row, secret


def revoke(row: KioskKey, actor: User | None = None) -> None:
    if row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    db.session.flush()
    audit.record("kiosk.revoke", "kiosk_key", row.id, user=actor)


def digest(raw_key: str) -> str:
    return _hash(raw_key)


def list_keys(agency_id: int | None = None) -> list[KioskKey]:
    query = select(KioskKey).join(Agency).order_by(Agency.code, KioskKey.created_at.desc())
    if agency_id is not None:
        query = query.where(KioskKey.agency_id == agency_id)
    return list(db.session.scalars(query))


def verify(agency: Agency, raw_key: str) -> KioskKey | None:
    return find(raw_key, agency)


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
