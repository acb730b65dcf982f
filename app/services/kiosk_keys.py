"""Kiosk keys as administrators manage them, over ``app.services.kiosk`` (the desk side).

A key is shown once when issued, with the setup link that installs it on the tablet; only its
keyed digest is stored.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, KioskKey, User
from app.services import kiosk
from app.services.admin_errors import AdminError
from app.services.secrets import keyed_digest


def digest(raw_key: str) -> str:
    return keyed_digest(raw_key, kiosk.PURPOSE)


def list_keys(agency_id: int | None = None) -> list[KioskKey]:
    query = select(KioskKey).join(Agency).order_by(Agency.code, KioskKey.created_at.desc())
    if agency_id is not None:
        query = query.where(KioskKey.agency_id == agency_id)
    return list(db.session.scalars(query))


def issue(agency: Agency, label: str = "", actor: User | None = None) -> kiosk.IssuedKey:
    """A new key for an agency's desk; the raw key (and its setup link) is returned once, never stored."""
    if not agency.active:
        raise AdminError("agency", _("agency %(code)s is deactivated", code=agency.code))
    return kiosk.issue(agency, label.strip(), actor=actor)


def revoke(key: KioskKey, actor: User | None = None) -> None:
    if key.revoked_at is None:
        kiosk.revoke(key, actor=actor)


def verify(agency: Agency, raw_key: str) -> KioskKey | None:
    return kiosk.find(raw_key, agency)
