"""The invitation and reminder messages, rendered in the citizen's language when they are queued.

Templates under app/templates/messages/invitation*: a subject, a plain text (the e-mail's text
part), an HTML alternative for e-mail and a short SMS text (at most SMS_MAX characters). Zalo ZNS
sends a pre-approved template: only its values (``ZALO_PARAMS``) travel. Every message carries the
answer link and the opt-out link of the same invitation token.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, format_date

from app.models import Agency, Wave
from app.outbox.queue import Content, enqueue
from app.shared import qr

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


def queue(kind: str, channel: str, address: str, token: str, language: str, *, invitation_id: int, wave: Wave,
          agency: Agency, expires_at: datetime):
    """Queue the invitation ("invitation:<id>") or its one reminder ("reminder:<id>:1")."""
    key = f"invitation:{invitation_id}" if kind == "invitation" else f"reminder:{invitation_id}:1"
    message = content(kind, channel, address, token, language, wave, agency, expires_at)
    return enqueue(kind, channel, message, idempotency_key=key, language=language, wave_id=wave.id,
                   agency_id=agency.id, invitation_id=invitation_id)
