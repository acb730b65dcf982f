"""Sending invitations: one invitation per contact, its contact sealed beside it until the wave
closes, and its message queued in the contact's language, all in the caller's transaction.

The raw token exists only sealed (in the contact, for the reminder's link, and in the queued
message); the address only sealed and as a keyed digest (opt-outs). The audit trail gets counts,
never an address.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import update

from app.collect import invitations
from app.collect.invitations import IssuedInvitation
from app.extensions import db
from app.models import Agency, Invitation, InvitationContact, User, Wave
from app.reach import messages
from app.reach.contacts import Contact, Contacts, opted_out
from app.shared import audit, sealed


@dataclass(frozen=True)
class Sent:
    queued: int
    skipped: int  # opted out (this wave or for good)
    agency: str
    channel: str


def send(wave: Wave, agency: Agency, contacts: Contacts, *, actor: User | None = None,
         actor_name: str | None = None, processing_agency_id: int | None = None) -> Sent:
    """Issue one invitation per contact with ``channel`` and queue its message (flushes; the caller
    commits once). Raises Refusal as invitations.issue does (nothing is written then)."""
    rows = contacts.rows
    if rows:
        dossiers = [c.dossier for c in rows] if any(c.dossier for c in rows) else None
        issued = invitations.issue(wave, agency, len(rows), dossiers=dossiers, actor=actor, actor_name=actor_name,
                                   processing_agency_id=processing_agency_id, channel=contacts.channel)
        db.session.add_all([_contact(item, contact, contacts.channel) for item, contact in zip(issued, rows, strict=True)])
        messages.queue_all([_pending(item, contact, contacts.channel, wave, agency)
                            for item, contact in zip(issued, rows, strict=True)])
    audit.record("invitation.send", "wave", wave.slug, user=actor, actor=actor_name,
                 after={"agency": agency.code, "channel": contacts.channel, "queued": len(rows),
                        "skipped_opted_out": len(contacts.opted_out),
                        "languages": dict(sorted(Counter(c.language for c in rows).items()))})
    return Sent(len(rows), len(contacts.opted_out), agency.code, contacts.channel)


def _contact(item: IssuedInvitation, contact: Contact, channel: str) -> InvitationContact:
    return InvitationContact(invitation_id=item.invitation_id, channel=channel, address=sealed.seal(contact.address),
                             token=sealed.seal(item.token), address_digest=contact.digest,
                             language=contact.language, reminders=0)


def _pending(item: IssuedInvitation, contact: Contact, channel: str, wave: Wave, agency: Agency) -> messages.Pending:
    return messages.Pending("invitation", channel, contact.address, item.token, contact.language,
                            item.invitation_id, wave, agency, item.expires_at)


def send_one(item: IssuedInvitation, channel: str, contact: Contact, actor_name: str) -> bool:
    """An invitation the integration API just issued (as a plain link) goes out by ``channel``:
    True if its message was queued, False if the address opted out (the link still works)."""
    invitation = db.session.get(Invitation, item.invitation_id)
    wave, agency = invitation.wave, invitation.agency
    queued = not opted_out(wave, [contact.digest])
    if queued:  # (else it stays a "link" invitation: the integration may hand the link over itself)
        db.session.execute(update(Invitation).where(Invitation.id == invitation.id).values(channel=channel)
                           .execution_options(synchronize_session="fetch"))
        db.session.add(_contact(item, contact, channel))
        messages.queue(_pending(item, contact, channel, wave, agency))
    audit.record("invitation.send", "wave", wave.slug, actor=actor_name,
                 after={"agency": agency.code, "channel": channel, "queued": int(queued),
                        "skipped_opted_out": int(not queued), "languages": {contact.language: 1}})
    return queued
