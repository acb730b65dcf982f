"""The invitation and reminder messages, rendered in the citizen's language when they are queued.

Templates under app/templates/messages/invitation*: a subject, a plain text (the e-mail's text
part), an HTML alternative for e-mail and a short SMS text (at most SMS_MAX characters). Zalo ZNS
sends a pre-approved template: only its values (``ZALO_PARAMS``) travel. Every message carries the
answer link and the opt-out link of the same invitation token.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, OutboxMessage, Wave
from app.models.base import utcnow
from app.outbox.queue import Content, enqueue
from app.shared import qr, sealed

SMS_MAX = 300
AGENCY_SMS_CHARS = 60
ZALO_PARAMS = ("agency", "survey", "link", "optout")


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def answer_link(token: str, language: str) -> str:
    """The invitation link, opening the questionnaire in the message's language."""
    return f"{base_url()}/s/{token}?lang={language}"


def optout_link(token: str, language: str) -> str:
    return f"{base_url()}/o/{token}?lang={language}"


def content(kind: str, channel: str, address: str, token: str, language: str, wave: Wave, agency: Agency,
            expires_at: datetime) -> Content:
    """The message of ``kind`` (invitation or reminder) for one contact, in ``language``."""
    reminder = kind == "reminder"
    with force_locale(language):
        values = {"reminder": reminder, "language": language, "agency": agency.name(language),
                  "survey": wave.name(language), "link": answer_link(token, language),
                  "optout": optout_link(token, language), "expires": format_date(qr.last_valid_day(expires_at), "long")}
        subject = render_template("messages/invitation_subject.txt", **values).strip()
        if channel == "sms":
            text = _sms(values, agency)
            return Content(to=address, subject=subject, text=text)
        text = render_template("messages/invitation.txt", **values).strip() + "\n"
        if channel == "zalo":
            return Content(to=address, subject=subject, text=text,
                           params={name: values[name] for name in ZALO_PARAMS})
        html = render_template("messages/invitation.html", subject=subject, **values)
        return Content(to=address, subject=subject, text=text, html=html)


def _sms(values: dict, agency: Agency) -> str:
    name = values["agency"]
    short = name if len(name) <= AGENCY_SMS_CHARS else name[:AGENCY_SMS_CHARS - 1].rstrip() + "…"
    text = " ".join(render_template("messages/invitation_sms.txt", agency_short=short, **values).split())
    if len(text) > SMS_MAX:  # a very long base address: the agency's code instead of its name
        text = " ".join(render_template("messages/invitation_sms.txt", agency_short=agency.code, **values).split())
    return text


@dataclass(frozen=True)
class Pending:
    """One invitation or reminder to queue."""

    kind: str
    channel: str
    address: str
    token: str
    language: str
    invitation_id: int
    wave: Wave
    agency: Agency
    expires_at: datetime

    @property
    def key(self) -> str:
        return f"invitation:{self.invitation_id}" if self.kind == "invitation" else f"reminder:{self.invitation_id}:1"


PLACEHOLDER = "SIPASTOKENPLACEHOLDER"  # letters only: unchanged by HTML escaping


def _filled(template: Content, address: str, token: str) -> Content:
    def fill(text):
        return text.replace(PLACEHOLDER, token) if isinstance(text, str) else text

    return Content(to=address, subject=fill(template.subject), text=fill(template.text), html=fill(template.html),
                   params={name: fill(value) for name, value in template.params.items()})


def queue(item: Pending) -> OutboxMessage:
    """Queue the invitation ("invitation:<id>") or its one reminder ("reminder:<id>:1")."""
    message = content(item.kind, item.channel, item.address, item.token, item.language, item.wave, item.agency,
                      item.expires_at)
    return enqueue(item.kind, item.channel, message, idempotency_key=item.key, language=item.language,
                   wave_id=item.wave.id, agency_id=item.agency.id, invitation_id=item.invitation_id)


def queue_all(items: list[Pending]) -> int:
    """queue() for a batch in two round trips (one look-up of the keys, one multi-row INSERT)
    instead of two per message: a file of a thousand contacts is queued in seconds. The rows are
    those enqueue() makes; a key already queued keeps its first message. Returns how many were new.
    (A candidate for app/outbox/queue.py as ``enqueue_many``.)"""
    keys = [item.key for item in items]
    known = set(db.session.scalars(select(OutboxMessage.idempotency_key)
                                   .where(OutboxMessage.idempotency_key.in_(keys)))) if keys else set()
    now = utcnow()
    rows = []
    rendered: dict[tuple, Content] = {}  # one rendering per kind, channel, language, unit and last day
    for item in items:
        if item.key in known:
            continue
        known.add(item.key)
        shape = (item.kind, item.channel, item.language, item.wave.id, item.agency.id, item.expires_at.date())
        if shape not in rendered:
            rendered[shape] = content(item.kind, item.channel, "", PLACEHOLDER, item.language, item.wave,
                                      item.agency, item.expires_at)
        message = _filled(rendered[shape], item.address, item.token)
        rows.append(OutboxMessage(idempotency_key=item.key, kind=item.kind, channel=item.channel,
                                  language=item.language, wave_id=item.wave.id, agency_id=item.agency.id,
                                  invitation_id=item.invitation_id, sealed=sealed.seal_json(message.as_json()),
                                  status="queued", attempts=0, next_attempt_at=now))
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)
