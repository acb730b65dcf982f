"""The citizen's messages of a case, queued in the delivery outbox (app/outbox/queue.py) in the
caller's transaction; `flask outbox run` sends them, never a request.

* the unit's answer: kind "case_answer", key "case-answer:<case id>:<n>" (n counts the case's
  answers, so a reopened case answered again gets a second message);
* more documents asked for, or refused as out of scope: kind "case_update", key
  "case-update:<case id>:<event id>".

Only for a case with a contact (CaseContact): without one, the status link on the receipt is the
only way back. The contact is unsealed here to address the message and goes nowhere else (no log,
no audit, no page). The content is rendered in the case's language from
app/templates/messages/case_*.txt|html: e-mail carries the text and the status link where the
citizen rates the handling; SMS a short notice with the link (≤ SMS_MAX characters); Zalo the
values of the pre-approved template {"agency", "link"}. A case opened before its status token was
kept (CaseContact.token NULL) gets the message without a link, telling the citizen to use the
link on their receipt.
"""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage
from app.models.case import CaseContact, CaseEvent, FeedbackCase
from app.outbox import queue
from app.outbox.addresses import normalise
from app.shared import sealed

SMS_MAX = 300
KINDS = {"answer": "case_answer", "documents": "case_update", "refuse": "case_update"}


def status_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/c/{token}"


def _subject(action: str, case: FeedbackCase) -> str:
    if action == "answer":
        return _("The answer to your feedback (case %(id)s)", id=case.id)
    if action == "documents":
        return _("Your feedback (case %(id)s): more documents are needed", id=case.id)
    return _("Your feedback (case %(id)s) is outside the unit's remit", id=case.id)


def _sms_text(values: dict, case: FeedbackCase) -> str:
    """One line ≤ SMS_MAX; a long unit name gives way to its code, so the link stays whole."""
    text = " ".join(render_template("messages/case_sms.txt", **values).split())
    if len(text) > SMS_MAX:
        text = " ".join(render_template("messages/case_sms.txt", **{**values, "agency": case.agency.code}).split())
    return text if len(text) <= SMS_MAX else text[:SMS_MAX - 1] + "…"


def render(case: FeedbackCase, action: str, channel: str, to: str, token: str | None, note: str = "") -> queue.Content:
    """The message of `action` ("answer", "documents", "refuse") in the case's language."""
    language = case.language if case.language in ("vi", "en") else "vi"
    with force_locale(language):
        link = status_link(token) if token else None
        agency = case.agency.name(language)
        values = {"case": case, "agency": agency, "link": link, "note": note, "action": action,
                  "due_on": case.due_on.strftime("%d/%m/%Y")}
        subject = _subject(action, case)
        if channel == "email":
            name = "case_answer" if action == "answer" else "case_update"
            return queue.Content(to=to, subject=subject,
                                 text=render_template(f"messages/{name}.txt", **values).strip() + "\n",
                                 html=render_template(f"messages/{name}.html", subject=subject, **values))
        text = _sms_text(values, case)
        params = {"agency": agency, "link": link or ""} if channel == "zalo" else {}
        return queue.Content(to=to, subject=subject, text=text, params=params)


def _contact(case: FeedbackCase) -> tuple[CaseContact, str] | None:
    contact = db.session.get(CaseContact, case.id)
    if contact is None:
        return None
    try:
        to = normalise(contact.channel, sealed.unseal(contact.address))
    except sealed.UnsealError:  # CASE_CONTACT_KEY changed: the answer stays at the status link
        current_app.logger.warning("case %s: the contact cannot be unsealed; no message queued", case.id)
        return None
    except ValueError:  # (checked when the case opened; the outbox's form is stricter)
        return None
    return contact, to


def queue_for(case: FeedbackCase, action: str, note: str = "") -> int | None:
    """Queue the citizen's message of the case's latest `action` event; the message's id, or None
    when the case has no contact."""
    found = _contact(case)
    if found is None:
        return None
    contact, to = found
    try:
        token = sealed.unseal(contact.token) if contact.token is not None else None
    except sealed.UnsealError:
        token = None
    if action == "answer":
        n = db.session.scalar(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.case_id == case.id, CaseEvent.action == "answer"))
        key = f"case-answer:{case.id}:{n}"
    else:
        event_id = db.session.scalar(select(func.max(CaseEvent.id))
                                     .where(CaseEvent.case_id == case.id, CaseEvent.action == action))
        key = f"case-update:{case.id}:{event_id}"
    content = render(case, action, contact.channel, to, token, note)
    message = queue.enqueue(KINDS[action], contact.channel, content, idempotency_key=key,
                            language=case.language, wave_id=case.wave_id, agency_id=case.agency_id,
                            case_id=case.id)
    return message.id


def has_contact(case: FeedbackCase) -> bool:
    return db.session.get(CaseContact, case.id) is not None


def history(case: FeedbackCase) -> list[OutboxMessage]:
    """The case's messages to the citizen, oldest first (for the staff page: kind, status and
    dates only; their content stays sealed)."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)
                                   .order_by(OutboxMessage.id)))
