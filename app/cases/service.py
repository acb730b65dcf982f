"""Feedback cases: open, hand to someone, answer, refuse, close, rate, reopen; purge contacts.

Every function flushes and never commits (the caller commits once). Every change writes a
CaseEvent and an audit record "case.<action>"; neither ever holds the contact. answer,
ask_documents and refuse also queue the citizen's message in the outbox when the case has a
contact (app.cases.messages). The states:

    new ──assign──▶ assigned ──answer──▶ answered ──close──▶ closed
     │  └────────────answer─────────────▲   │  ▲                 │
     └─refuse (within CASE_DAYS_REFUSE)─────┼──┼────────────▶ closed
                       reopen (citizen, within CASE_REOPEN_DAYS of the answer) ◀┘

ask_documents keeps the state and moves the deadline CASE_DAYS_DOCUMENTS working days later.
Deadlines count working days on app/cases/calendar.py; `today=` injects the date (tests).
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.cases import calendar, messages
from app.extensions import db
from app.models import Agency, User, Wave
from app.models.case import (
    CASE_CATEGORIES,
    CASE_KINDS,
    CONTACT_CHANNELS,
    CaseContact,
    CaseEvent,
    FeedbackCase,
)
from app.shared import audit
from app.shared import sealed as contacts
from app.shared.refusal import Refusal
from app.shared.secrets import keyed_digest, new_token

MAX_TEXT = 2000
OPEN_STATES = ("new", "assigned")  # waiting for the unit's answer
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
VN_MOBILE_RE = re.compile(r"^0[35789]\d{8}$")  # after normalising +84 / 84 to 0


def case_token_hash(raw: str) -> str:
    return keyed_digest(raw, "case")


def _setting(name: str) -> int:
    return int(current_app.config[name])


def _day(today: date | None) -> date:
    return today or calendar.today()


def normalise_address(channel: str, address: str) -> str:
    """The address in one canonical form, or Refusal("follow_up.address")."""
    value = (address or "").strip()
    if channel == "email":
        if len(value) > 254 or not EMAIL_RE.match(value):
            raise Refusal("follow_up.address", _("enter an e-mail address such as name@example.vn"))
        return value
    phone = re.sub(r"[\s.\-()]", "", value)
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    elif phone.startswith("84") and len(phone) == 11:
        phone = "0" + phone[2:]
    if not VN_MOBILE_RE.match(phone):
        raise Refusal("follow_up.address", _("enter a Vietnamese mobile number such as 0912 345 678"))
    return phone


def check_follow_up(text: str, channel: str | None, address: str | None, consent: bool) -> None:
    """Every problem of a citizen's request for an answer at once (Refusal.of), field names
    follow_up.text/.channel/.address/.consent. A request without a contact passes channel=None."""
    errors: list[tuple[str | None, str]] = []
    for check in (lambda: _check_text(text), lambda: _check_contact(channel, address) if channel or address else None):
        try:
            check()
        except Refusal as refusal:
            errors.append((refusal.field, refusal.message))
    if (channel or address) and consent is not True:
        errors.append(("follow_up.consent", _("tick the box to agree that the unit may contact you")))
    if errors:
        raise Refusal.of(errors)


def _check_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Refusal("follow_up.text", _("write what you would like an answer about"))
    if len(text) > MAX_TEXT:
        raise Refusal("follow_up.text", _("at most %(n)s characters", n=MAX_TEXT))
    return text.strip()


def _check_contact(channel: str | None, address: str | None) -> tuple[str, str]:
    if channel not in CONTACT_CHANNELS:
        raise Refusal("follow_up.channel", _("choose e-mail, SMS or Zalo"))
    return channel, normalise_address(channel, address or "")


def open_case(wave: Wave, agency: Agency, *, kind: str, text: str, language: str = "vi",
              category: str = "other", contact: tuple[str, str] | None = None,
              today: date | None = None) -> tuple[FeedbackCase, str]:
    """A new case for `agency`, due CASE_DAYS_HANDLE working days after today; returns (case, raw
    token for the status link /c/<token>). Only the token's keyed hash is stored; the contact is
    sealed into its own row. The caller has checked consent (check_follow_up)."""
    if kind not in CASE_KINDS:
        raise Refusal("kind", _("unknown kind of case"))
    if category not in CASE_CATEGORIES:
        raise Refusal("category", _("unknown category"))
    clean = _check_text(text)
    sealed = _check_contact(*contact) if contact is not None else None
    opened = _day(today)
    raw = new_token()
    case = FeedbackCase(token_hash=case_token_hash(raw), wave_id=wave.id, agency_id=agency.id, kind=kind,
                        category=category, text=clean, language=language if language in ("vi", "en") else "vi",
                        state="new", opened_on=opened, due_on=calendar.due(opened, _setting("CASE_DAYS_HANDLE")),
                        reopened=0)
    db.session.add(case)
    db.session.flush()
    if sealed is not None:
        db.session.add(CaseContact(case_id=case.id, channel=sealed[0], address=contacts.seal(sealed[1]),
                                   token=contacts.seal(raw)))  # the link of the messages (app.cases.messages)
    _event(case, "open", None, None, "new", "")
    audit.record("case.open", "case", str(case.id), actor="citizen",
                 after={"agency": agency.code, "wave": wave.slug, "kind": kind, "category": category,
                        "contact": sealed is not None, "due_on": case.due_on.isoformat()})
    return case, raw


def by_token(raw: str) -> FeedbackCase | None:
    if not raw or not isinstance(raw, str) or len(raw) > 100:
        return None
    return db.session.scalar(select(FeedbackCase).where(FeedbackCase.token_hash == case_token_hash(raw)))


def _event(case: FeedbackCase, action: str, actor: User | None, before: str | None, after: str | None,
           note: str) -> None:
    db.session.add(CaseEvent(case_id=case.id, actor_id=actor.id if actor else None, action=action,
                             from_state=before, to_state=after, note=note))
    db.session.flush()


def _change(case: FeedbackCase, action: str, actor: User | None, to_state: str, note: str = "",
            **details) -> FeedbackCase:
    before = case.state
    case.state = to_state
    _event(case, action, actor, before, to_state, note)
    audit.record(f"case.{action}", "case", str(case.id), user=actor, actor=None if actor else "citizen",
                 before={"state": before}, after={"state": to_state, **details})
    return case


def _require_state(case: FeedbackCase, allowed: tuple[str, ...], message: str) -> None:
    if case.state not in allowed:
        raise Refusal("state", message, 409)


def _note(value: str, field: str, message: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refusal(field, message)
    if len(value) > MAX_TEXT:
        raise Refusal(field, _("at most %(n)s characters", n=MAX_TEXT))
    return value.strip()


def may_handle(user: User | None, case: FeedbackCase) -> bool:
    """Administrators handle every case; an agency account its own unit's."""
    if user is None:
        return False
    return user.role == "admin" or (user.role == "agency" and user.agency_id == case.agency_id)


def _require_handler(actor: User | None, case: FeedbackCase) -> None:
    if not may_handle(actor, case):
        raise Refusal(None, _("only an administrator or the unit's own account may handle this case"), 403)


def assign(case: FeedbackCase, user: User, actor: User) -> FeedbackCase:
    _require_handler(actor, case)
    _require_state(case, OPEN_STATES, _("only a new or assigned case can be assigned"))
    if not may_handle(user, case):
        raise Refusal("user", _("assign the case to an administrator or an account of its unit"))
    case.assigned_to_id = user.id
    return _change(case, "assign", actor, "assigned", user.email, assigned_to=user.id)


def answer(case: FeedbackCase, text: str, actor: User, today: date | None = None) -> FeedbackCase:
    """The unit's answer; the citizen reads it at the status link and, with a contact, gets it
    through the outbox (app.cases.messages: one message per answer)."""
    _require_handler(actor, case)
    _require_state(case, OPEN_STATES, _("only a new or assigned case can be answered"))
    case.answer = _note(text, "answer", _("write the answer"))
    case.answered_on = _day(today)
    if case.assigned_to_id is None:
        case.assigned_to_id = actor.id
    _change(case, "answer", actor, "answered", case.answer, on_time=case.answered_on <= case.due_on)
    messages.queue_for(case, "answer")
    return case


def ask_documents(case: FeedbackCase, note: str, actor: User, today: date | None = None) -> FeedbackCase:
    """Ask the citizen for more documents: the state stays, the deadline moves CASE_DAYS_DOCUMENTS
    working days later (from the old deadline, or from today if that has passed). The citizen is
    told through the outbox when the case has a contact."""
    _require_handler(actor, case)
    _require_state(case, OPEN_STATES, _("only a new or assigned case can ask for documents"))
    text = _note(note, "note", _("say which documents are needed"))
    old = case.due_on
    case.due_on = calendar.due(max(old, _day(today)), _setting("CASE_DAYS_DOCUMENTS"))
    _change(case, "documents", actor, case.state, text, due_before=old.isoformat(), due_on=case.due_on.isoformat())
    messages.queue_for(case, "documents", text)
    return case


def refuse_until(case: FeedbackCase) -> date:
    return calendar.due(case.opened_on, _setting("CASE_DAYS_REFUSE"))


def refuse(case: FeedbackCase, reason: str, actor: User, today: date | None = None) -> FeedbackCase:
    """Out of scope: closes the case, with the reason as its answer; only within CASE_DAYS_REFUSE
    working days of opening."""
    _require_handler(actor, case)
    _require_state(case, OPEN_STATES, _("only a new or assigned case can be refused"))
    day = _day(today)
    if day > refuse_until(case):
        raise Refusal("reason", _("a case can be refused as out of scope only until %(day)s; answer it instead",
                                  day=refuse_until(case).isoformat()), 409)
    case.answer = _note(reason, "reason", _("say why the case is out of scope"))
    _closing(case, day)
    _change(case, "refuse", actor, "closed", case.answer)
    messages.queue_for(case, "refuse", case.answer)
    return case


def close(case: FeedbackCase, actor: User, today: date | None = None) -> FeedbackCase:
    _require_handler(actor, case)
    _require_state(case, ("answered",), _("only an answered case can be closed"))
    _closing(case, _day(today))
    return _change(case, "close", actor, "closed")


def _closing(case: FeedbackCase, day: date) -> None:
    case.closed_on = day
    contact = db.session.get(CaseContact, case.id)
    if contact is not None:
        contact.delete_after = day + timedelta(days=_setting("CASE_CONTACT_RETENTION_DAYS"))


def reclassify(case: FeedbackCase, category: str, actor: User) -> FeedbackCase:
    if actor is None or actor.role != "admin":
        raise Refusal("category", _("only an administrator can reclassify a case"), 403)
    if category not in CASE_CATEGORIES:
        raise Refusal("category", _("unknown category"))
    before = case.category
    case.category = category
    _event(case, "reclassify", actor, case.state, case.state, f"{before} → {category}")
    audit.record("case.reclassify", "case", str(case.id), user=actor, before={"category": before},
                 after={"category": category})
    return case


def reopen_until(case: FeedbackCase) -> date | None:
    """The last day the citizen may reopen; None when the case was never answered."""
    if case.answered_on is None:
        return None
    return calendar.due(case.answered_on, _setting("CASE_REOPEN_DAYS"))


def rate(case: FeedbackCase, satisfied: bool, today: date | None = None) -> FeedbackCase:
    """The citizen's verdict on the handling, once the case has an answer (may be changed)."""
    if case.answered_on is None or case.state not in ("answered", "closed"):
        raise Refusal("satisfied", _("the case has no answer to rate yet"), 409)
    if not isinstance(satisfied, bool):
        raise Refusal("satisfied", _("say yes or no"))
    case.satisfied = satisfied
    _event(case, "rate", None, case.state, case.state, "satisfied" if satisfied else "not satisfied")
    audit.record("case.rate", "case", str(case.id), actor="citizen", after={"satisfied": satisfied})
    return case


def reopen(case: FeedbackCase, text: str, today: date | None = None) -> FeedbackCase:
    """The citizen is not done: back to the unit (assigned if someone had it, else new) with a new
    deadline; only within CASE_REOPEN_DAYS working days of the answer."""
    if case.answered_on is None or case.state not in ("answered", "closed"):
        raise Refusal("text", _("only an answered case can be reopened"), 409)
    day = _day(today)
    until = reopen_until(case)
    if day > until:
        raise Refusal("text", _("the case could be reopened until %(day)s", day=until.isoformat()), 409)
    note = _note(text, "text", _("write what is still missing"))
    case.reopened = (case.reopened or 0) + 1
    case.answer, case.answered_on, case.closed_on, case.satisfied = None, None, None, None
    case.due_on = calendar.due(day, _setting("CASE_DAYS_HANDLE"))
    contact = db.session.get(CaseContact, case.id)
    if contact is not None:
        contact.delete_after = None
    return _change(case, "reopen", None, "assigned" if case.assigned_to_id else "new", note,
                   reopened=case.reopened, due_on=case.due_on.isoformat())


def purge_contacts(today: date | None = None) -> int:
    """Delete the contacts whose retention has run out (delete_after on or before today)."""
    day = _day(today)
    ids = list(db.session.scalars(select(CaseContact.case_id).where(CaseContact.delete_after.is_not(None),
                                                                      CaseContact.delete_after <= day)))
    if ids:
        db.session.execute(delete(CaseContact).where(CaseContact.case_id.in_(ids)))
        db.session.flush()
        audit.record("case.purge_contacts", "case", None, actor="system",
                     after={"count": len(ids), "day": day.isoformat()})
    return len(ids)
