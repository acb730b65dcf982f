"""Invitations: a random token handed to the respondent, only its keyed hash kept here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, Invitation, User, Wave
from app.models.base import utcnow
from app.services import audit
from app.services.secrets import keyed_digest, new_token, token_hash


class InvitationError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class IssuedInvitation:
    token: str
    url: str
    expires_at: datetime
    agency: str


def link_for(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{token}"


def dossier_digest(code: str) -> str:
    return keyed_digest(code.strip().upper(), "dossier")


def issue(wave: Wave, agency: Agency, count: int = 1, *, dossiers: list[str] | None = None,
          days: int | None = None, actor: User | None = None) -> list[IssuedInvitation]:
    if agency not in wave.agencies:
        raise InvitationError("agency", f"agency {agency.code} is not in the scope of wave {wave.slug}")
    if wave.status == "closed":
        raise InvitationError("wave", f"wave {wave.slug} is closed")
    if "link" not in (wave.channels or []):
        raise InvitationError("wave", f"wave {wave.slug} does not collect answers by link")
    digests = [dossier_digest(d) for d in dossiers] if dossiers else [None] * count
    if dossiers:
        if len(set(digests)) != len(digests):
            raise InvitationError("dossier", "the same dossier code appears twice")
        taken = set(db.session.scalars(select(Invitation.dossier_digest).where(
            Invitation.wave_id == wave.id, Invitation.dossier_digest.in_(digests))))
        if taken:
            raise InvitationError("dossier", f"{len(taken)} dossier(s) already have an invitation in this wave")
    expires = utcnow() + timedelta(days=days or current_app.config["INVITATION_DAYS"])
    issued = []
    for digest in digests:
        token = new_token()
        db.session.add(Invitation(token_hash=token_hash(token), wave_id=wave.id, agency_id=agency.id,
                                  dossier_digest=digest, expires_at=expires))
        issued.append(IssuedInvitation(token, link_for(token), expires, agency.code))
    db.session.flush()
    audit.record("invitation.issue", "wave", wave.slug, user=actor,
                 after={"agency": agency.code, "count": len(issued)})
    return issued


def find_usable(token: str) -> Invitation | None:
    """The invitation behind a token if it can still be answered; None for unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        return None
    if invitation.wave.status != "open":
        return None
    return invitation


def find_any(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
