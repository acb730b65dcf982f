"""Invitation reminders (issue 18): one, INVITATION_REMINDER_DAYS after an unanswered invitation.

`flask outbox run` calls queue_due on every loop. One query finds the due invitations (a contact,
no reminder yet, not answered, not expired, wave open, no opt-out for the wave or for good), each
gets its reminder with the same link ("reminder:<id>:1": queued once whatever runs twice), and one
UPDATE counts them. On PostgreSQL the rows are locked (SKIP LOCKED): two workers share the work.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, or_, select, update

from app.extensions import db
from app.models import Invitation, InvitationContact, OptOut, Wave
from app.models.base import utcnow
from app.models.wave import WAVE_OPEN
from app.reach import messages
from app.shared import sealed

BATCH = 500  # reminders queued per call at most (the next loop takes the rest)


def due(now: datetime, limit: int = BATCH):
    """(contact, invitation) pairs whose reminder is due at ``now``."""
    days = int(current_app.config["INVITATION_REMINDER_DAYS"])
    opted = exists().where(OptOut.address_digest == InvitationContact.address_digest,
                           or_(OptOut.wave_id.is_(None), OptOut.wave_id == Invitation.wave_id))
    query = (select(InvitationContact, Invitation)
             .join(Invitation, Invitation.id == InvitationContact.invitation_id)
             .join(Wave, Wave.id == Invitation.wave_id)
             .where(InvitationContact.reminders == 0, Invitation.used_at.is_(None),
                    Invitation.expires_at > now, Wave.status == WAVE_OPEN,
                    Invitation.created_at <= now - timedelta(days=days), ~opted)
             .order_by(InvitationContact.invitation_id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=InvitationContact, skip_locked=True)
    # (each row's wave and agency then load once per distinct id, from the identity map: a joined
    # load would bring the questionnaire's definition along with every row)
    return db.session.execute(query).all()


def queue_due(now: datetime | None = None) -> int:
    """Queue the reminders that are due; returns how many were queued (commits)."""
    now = now or utcnow()
    rows = due(now)
    messages.queue_all([messages.Pending("reminder", contact.channel, sealed.unseal(contact.address),
                                         sealed.unseal(contact.token), contact.language, invitation.id,
                                         invitation.wave, invitation.agency, invitation.expires_at)
                        for contact, invitation in rows])
    if rows:
        ids = [contact.invitation_id for contact, _invitation in rows]
        db.session.execute(update(InvitationContact).where(InvitationContact.invitation_id.in_(ids))
                           .values(reminders=InvitationContact.reminders + 1)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return len(rows)
