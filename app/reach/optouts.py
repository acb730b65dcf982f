"""Opting out from the link in a message: no more messages for this survey, or never again.

The opt-out is kept as the keyed digest of the address only (OptOut); queued invitations and
reminders to that address are cancelled at once (status cancelled, content dropped), and the
outbox worker checks again before it sends. It works whatever the invitation's state (answered,
expired, wave closed), as long as its token is real.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from app.collect import invitations
from app.extensions import db
from app.models import Invitation, InvitationContact, OptOut, OutboxMessage
from app.shared import audit

SCOPES = ("wave", "always")
CANCELLABLE_KINDS = ("invitation", "reminder")


@dataclass(frozen=True)
class Target:
    invitation: Invitation
    contact: InvitationContact | None  # None once the wave closed (the address is deleted then)

    def opted_out(self) -> str | None:
        """'always', 'wave' or None: what this address has asked already."""
        if self.contact is None:
            return None
        scopes = {wave_id for wave_id in db.session.scalars(select(OptOut.wave_id).where(
            OptOut.address_digest == self.contact.address_digest))}
        if None in scopes:
            return "always"
        return "wave" if self.invitation.wave_id in scopes else None


def find(token: str) -> Target | None:
    invitation = invitations.find_any(token)
    if invitation is None:
        return None
    return Target(invitation, db.session.get(InvitationContact, invitation.id))


def opt_out(target: Target, scope: str) -> int:
    """Record the opt-out (once) and cancel the address's queued messages of that scope; returns
    how many were cancelled (flushes; the caller commits)."""
    if scope not in SCOPES:
        raise ValueError(scope)
    if target.contact is None:
        return 0
    digest = target.contact.address_digest
    wave_id = target.invitation.wave_id if scope == "wave" else None
    found = db.session.scalar(select(OptOut.id).where(
        OptOut.address_digest == digest, OptOut.wave_id.is_(None) if wave_id is None else OptOut.wave_id == wave_id))
    if found is None:
        db.session.add(OptOut(address_digest=digest, wave_id=wave_id))
    invited = select(InvitationContact.invitation_id).where(InvitationContact.address_digest == digest)
    if wave_id is not None:
        invited = invited.join(Invitation, Invitation.id == InvitationContact.invitation_id).where(
            Invitation.wave_id == wave_id)
    cancelled = cancel(OutboxMessage.invitation_id.in_(invited))
    audit.record("invitation.opt_out", "wave", target.invitation.wave.slug, actor="citizen",
                 after={"scope": scope, "messages_cancelled": cancelled})
    return cancelled


def cancel(*where) -> int:
    """Cancel the queued invitation and reminder messages matching ``where`` (content dropped)."""
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.status == "queued", OutboxMessage.kind.in_(CANCELLABLE_KINDS), *where)
        .values(status="cancelled", sealed=None).execution_options(synchronize_session=False))
    return result.rowcount or 0
