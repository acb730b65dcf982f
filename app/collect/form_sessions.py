"""Questionnaires in progress, kept on the server: the browser holds only a random key.

An invitation token or a kiosk start is exchanged for a form session; its answers live here,
page by page, until the response is stored (then they are cleared and ``done_at`` is set).

Finishing a questionnaire answered on the web (link or kiosk): one response, once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from app.collect import page_flow, store
from app.collect.store import AlreadyAnswered
from app.extensions import db
from app.models import Agency, FormSession, Invitation, KioskKey, Response, Wave
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from app.shared.secrets import keyed_digest, new_token
from survey_definitions import FieldError

IDLE = timedelta(hours=3)
PURPOSE = "form-session"


def _hash(key: str) -> str:
    return keyed_digest(key, PURPOSE)


def start(channel: str, wave: Wave, agency: Agency, *, invitation: Invitation | None = None,
          kiosk_key: KioskKey | None = None) -> str:
    """Open a form session; returns the raw key for the browser's session cookie."""
    now = utcnow()
    _housekeeping(now)
    key = new_token()
    db.session.add(FormSession(key_hash=_hash(key), channel=channel, wave_id=wave.id, agency_id=agency.id,
                               invitation_id=invitation.id if invitation else None,
                               kiosk_key_id=kiosk_key.id if kiosk_key else None,
                               answers={}, page=0, expires_at=now + IDLE))
    db.session.flush()
    return key


def _housekeeping(now) -> None:
    """Delete sessions idle for longer than IDLE, except unfinished ones whose invitation can
    still be answered: the token may come back (another day, another device) to resume them."""
    resumable = select(Invitation.id).where(Invitation.used_at.is_(None), Invitation.expires_at >= now)
    db.session.execute(delete(FormSession).where(
        FormSession.expires_at < now,
        or_(FormSession.done_at.is_not(None), FormSession.invitation_id.is_(None),
            FormSession.invitation_id.not_in(resumable))).execution_options(synchronize_session=False))


def resume_or_start(wave: Wave, agency: Agency, invitation: Invitation) -> str:
    """The invitation's unfinished form session under a fresh key, or a new one.

    Only the token leads back to answers in progress: the row keeps no usable key, so a new one
    is issued here and the old one (on another device, say) stops working at once. The key alone,
    as before, lapses after IDLE without activity.
    """
    row = db.session.scalar(select(FormSession).where(
        FormSession.invitation_id == invitation.id, FormSession.done_at.is_(None))
        .order_by(FormSession.id.desc()).limit(1))
    if row is None:
        return start("link", wave, agency, invitation=invitation)
    key = new_token()
    row.key_hash = _hash(key)
    row.expires_at = utcnow() + IDLE
    db.session.flush()
    return key


def find(key: str | None) -> FormSession | None:
    """The form session behind a key, if it has not expired (finished ones included)."""
    if not key or not isinstance(key, str) or len(key) > 100:
        return None
    row = db.session.scalar(select(FormSession).where(FormSession.key_hash == _hash(key)))
    if row is None or row.expires_at < utcnow():
        return None
    return row


def save(row: FormSession, answers: dict[str, Any], page: int) -> None:
    row.answers = dict(answers)
    row.page = page
    row.expires_at = utcnow() + IDLE
    db.session.flush()


def claim(row: FormSession) -> bool:
    """Mark the session finished, atomically: of concurrent final submits exactly one wins.

    On PostgreSQL a concurrent UPDATE waits for the first transaction and then finds
    ``done_at`` set; SQLite serialises writers. The caller stores the response in the same
    transaction, so a failure after this rolls the claim back too.
    """
    result = db.session.execute(
        update(FormSession).where(FormSession.id == row.id, FormSession.done_at.is_(None))
        .values(done_at=utcnow(), answers={}).execution_options(synchronize_session=False))
    return result.rowcount == 1


def record_receipt(row: FormSession, receipt: str) -> None:
    db.session.execute(update(FormSession).where(FormSession.id == row.id).values(receipt=receipt))
    db.session.refresh(row)


def discard(row: FormSession) -> None:
    db.session.delete(row)
    db.session.flush()


__all__ = ["AlreadyAnswered", "Outcome", "finish", "unavailable_reason"]


@dataclass
class Outcome:
    response: Response | None = None
    errors: list[FieldError] = field(default_factory=list)
    page: int = 0


def unavailable_reason(row: FormSession) -> str | None:
    """Why this session can no longer collect answers: 'answered', 'closed', or None."""
    if row.done_at is not None or (row.invitation is not None and row.invitation.used_at is not None):
        return "answered"
    if not row.wave.is_open or row.channel not in (row.wave.channels or []):
        return "closed"
    return None


def finish(row: FormSession, language: str) -> Outcome:
    """Check everything once more and store the response; the caller commits once.

    Raises AlreadyAnswered when this session or its invitation has already produced its response
    (also when a concurrent submit got there first).
    """
    q = questionnaire_of(row.wave.survey_version)
    cleaned, errors = page_flow.final_answers(q, row.answers)
    if errors:
        return Outcome(errors=errors, page=page_flow.page_of(q, errors[0].field))
    if not claim(row):
        raise AlreadyAnswered()
    source = f"kiosk:{row.kiosk_key_id}" if row.kiosk_key_id is not None else None
    response = store.store(row.wave, row.agency, cleaned, channel=row.channel, language=language,
                           invitation=row.invitation, signal=store.Signal(source, row.created_at))
    record_receipt(row, response.receipt)
    return Outcome(response=response)
