"""Invitations: a random token handed to the respondent, only its keyed hash kept here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from app.extensions import db
from app.models import Agency, Invitation, SurveyVersion, User, Wave
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
          days: int | None = None, actor: User | None = None, actor_name: str | None = None
          ) -> list[IssuedInvitation]:
    """Make the invitations (flushes; the caller commits once, after the links reach the user).

    Every batch is audited with who asked (``actor``, or ``actor_name`` for an integration key or
    the command line) and how many.
    """
    if agency not in wave.agencies:
        raise InvitationError("agency", _("agency %(code)s is not in the scope of wave %(slug)s",
                                          code=agency.code, slug=wave.slug))
    if wave.status == "closed":
        raise InvitationError("wave", _("wave %(slug)s is closed", slug=wave.slug))
    if "link" not in (wave.channels or []):
        raise InvitationError("wave", _("wave %(slug)s does not collect answers by link", slug=wave.slug))
    digests = [dossier_digest(d) for d in dossiers] if dossiers else [None] * count
    if dossiers:
        if len(set(digests)) != len(digests):
            raise InvitationError("dossier", _("the same dossier code appears twice"))
        taken = set(db.session.scalars(select(Invitation.dossier_digest).where(
            Invitation.wave_id == wave.id, Invitation.dossier_digest.in_(digests))))
        if taken:
            raise InvitationError("dossier", _("%(count)s dossier(s) already have an invitation in this wave",
                                               count=len(taken)))
    expires = utcnow() + timedelta(days=days or current_app.config["INVITATION_DAYS"])
    issued = []
    for digest in digests:
        token = new_token()
        db.session.add(Invitation(token_hash=token_hash(token), wave_id=wave.id, agency_id=agency.id,
                                  dossier_digest=digest, expires_at=expires))
        issued.append(IssuedInvitation(token, link_for(token), expires, agency.code))
    db.session.flush()
    audit.record("invitation.issue", "wave", wave.slug, user=actor, actor=actor_name,
                 after={"agency": agency.code, "count": len(issued), "dossiers": bool(dossiers)})
    return issued


def find_usable(token: str) -> Invitation | None:
    """The invitation behind a token if it can still be answered; None for unknown, used or expired."""
    invitation = find_with_context(token)
    return invitation if invitation is not None and is_usable(invitation) else None


def link_state(token: str) -> tuple[Invitation | None, str | None]:
    """(the invitation, None) if it can still be answered, else (None, why): 'answered',
    'expired' or 'closed' for a real token, 'unknown' otherwise. Only the holder of a real token
    learns which; a guessed one learns nothing."""
    invitation = find_with_context(token)
    if invitation is None:
        return None, "unknown"
    if invitation.used_at is not None:
        return None, "answered"
    if invitation.expires_at < utcnow():
        return None, "expired"
    if invitation.wave.status != "open":
        return None, "closed" if invitation.wave.status == "closed" else "unknown"
    return invitation, None


def is_usable(invitation: Invitation) -> bool:
    return (invitation.used_at is None and invitation.expires_at >= utcnow()
            and invitation.wave.status == "open")


def find_with_context(token: str) -> Invitation | None:
    """find_any, with its wave and agency loaded in the same query (one round trip per submission);
    the questionnaire's source text and definition load only if a cache needs them."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    return db.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token)).options(
            joinedload(Invitation.agency),
            joinedload(Invitation.wave).joinedload(Wave.survey_version).options(
                defer(SurveyVersion.source), defer(SurveyVersion.definition))))


def find_any(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
