"""The citizen's follow-up: "I want an answer about this" (a case with a contact), and the case that
opens by itself for a dissatisfied overall rating with a comment.

Read from the questionnaire's optional last step (a web form) or from the API's ``follow_up``
object, checked here, and opened by ``open_cases`` in the caller's transaction, right after the
response is stored: one commit for both, so a refused follow-up leaves no response behind.

A case never points at the response. The follow-up's contact is never copied into the response,
the form session or any log; only app.cases.service seals it. When the citizen asks for an answer,
that case is the only one opened (the comment stays in the response, where the case cannot reach
it: copying it next to a contact would let anyone who reads both tell whose answers they are).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.cases import service
from app.models.case import CONTACT_CHANNELS
from app.shared.refusal import Refusal
from survey_definitions import NOT_APPLICABLE, Questionnaire

MAX_TEXT = 2000
PREFIX = "follow_up."
FIELDS = ("text", "channel", "address", "consent")
FORM_FIELDS = {"want": "fu_want", "text": "fu_text", "channel": "fu_channel", "address": "fu_address",
               "consent": "fu_consent"}

CHANNEL_LABELS = {"email": _l("E-mail"), "sms": _l("SMS (text message)"), "zalo": _l("Zalo")}
WANT = _l("Tick “I want an answer about this” to send these details, or clear them.")
NO_CHANNEL = _l("Choose how the unit should answer you: e-mail, SMS or Zalo.")
NO_ADDRESS = _l("Write the e-mail address or phone number to answer to.")
CONSENT = _l("Tick the box to agree that the unit keeps this contact to answer you.")


@dataclass(frozen=True)
class FollowUp:
    text: str
    channel: str
    address: str


def problems(text: str, channel: str, address: str, consent: bool) -> list[tuple[str, str]]:
    """(field without the prefix, message) for each problem of a request for an answer: the
    service's checks (text, channel, address shape, consent), and a contact is required."""
    found: dict[str, str] = {}
    try:
        service.check_follow_up(text, channel or None, address or None, consent)
    except Refusal as refusal:
        found = {str(field).removeprefix(PREFIX): str(message) for field, message in refusal.errors}
    if not channel:
        found.setdefault("channel", str(NO_CHANNEL))
    if not address.strip():
        found.setdefault("address", str(NO_ADDRESS))
    if not consent and "consent" not in found:
        found["consent"] = str(CONSENT)
    return [(name, found[name]) for name in FIELDS if name in found]



@dataclass
class Step:
    """What the follow-up step's form sent: the values to show again and the errors by field."""

    values: dict[str, str]
    errors: dict[str, str]
    follow_up: FollowUp | None = None

    @property
    def wanted(self) -> bool:
        return self.values.get("want") == "1"


def empty_step() -> Step:
    return Step({name: "" for name in FORM_FIELDS}, {})


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def from_form(form: Mapping[str, str]) -> Step:
    """The posted follow-up step. Nothing asked (box not ticked, nothing typed): no follow-up."""
    values = {name: str(form.get(key, ""))[:MAX_TEXT + 100] for name, key in FORM_FIELDS.items()}
    values["text"] = values["text"].replace("\r\n", "\n")
    step = Step(values, {})
    if not step.wanted:
        if values["text"].strip() or values["address"].strip():
            step.errors["want"] = str(WANT)
        return step
    channel = values["channel"] if values["channel"] in CONTACT_CHANNELS else ""
    step.errors = {name: _sentence(message) for name, message in
                   problems(values["text"], channel, values["address"], values["consent"] == "1")}
    if not step.errors:
        step.follow_up = FollowUp(values["text"].strip(), channel, values["address"].strip())
    return step


def from_json(value: Any) -> FollowUp | None:
    """The API's optional ``follow_up`` object; raises Refusal (400) naming ``follow_up.<field>``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Refusal("follow_up", "follow_up must be an object {channel, address, text, consent}")  # the API's message
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise Refusal.of([(PREFIX + str(k), "unknown field") for k in unknown])
    errors = [(PREFIX + name, f"{name} must be a string") for name in ("text", "channel", "address")
              if not isinstance(value.get(name), str)]
    if value.get("consent") is not True:
        errors.append((PREFIX + "consent", "consent must be true: the citizen agrees that the unit keeps the "
                                           "contact to answer them"))
    if not errors:
        errors = [(PREFIX + name, message) for name, message in
                  problems(value["text"], value["channel"], value["address"], True)]
    if errors:
        raise Refusal.of(errors)
    return FollowUp(value["text"].strip(), value["channel"], value["address"].strip())


def overall_code(questionnaire: Questionnaire) -> str | None:
    """The overall rating: the question coded "overall" (per-case forms: "satisfaction"), else the
    rated question of the section coded "overall" (SIPAS: overall_satisfaction)."""
    codes = {q.code for q in questionnaire.questions}
    first = ("satisfaction", "overall") if questionnaire.definition.kind == "per_case" else ("overall",)
    for code in first:
        if code in codes and questionnaire.satisfied_values(code):
            return code
    if "overall" in {s.code for s in questionnaire.sections}:
        for question in questionnaire.section("overall").questions:
            if questionnaire.satisfied_values(question.code):
                return question.code
    return None


def dissatisfied_comment(questionnaire: Questionnaire, cleaned: Mapping[str, Any]) -> str | None:
    """The comment (the text questions' answers) of a response whose overall rating is answered and
    not satisfied; None if the rating is satisfied, not answered, or nothing was written."""
    code = overall_code(questionnaire)
    rating = cleaned.get(code) if code else None
    if rating is None or rating == NOT_APPLICABLE or isinstance(rating, bool):
        return None
    if rating in questionnaire.satisfied_values(code):
        return None
    texts = [str(cleaned[q.code]).strip() for q in questionnaire.questions
             if q.type == "text" and isinstance(cleaned.get(q.code), str) and cleaned[q.code].strip()]
    return "\n\n".join(texts)[:MAX_TEXT] or None


def open_cases(wave, agency, questionnaire: Questionnaire, cleaned: Mapping[str, Any],
               follow_up: FollowUp | None, language: str) -> str | None:
    """Open the response's case, if any, in the caller's transaction (flush only); returns its raw
    status token. Raises Refusal (``follow_up.<field>``) if the service refuses the follow-up: the
    caller rolls back, response included."""
    if follow_up is not None:
        _case, token = service.open_case(wave, agency, kind="request", text=follow_up.text, language=language,
                                         contact=(follow_up.channel, follow_up.address))
        return token
    comment = dissatisfied_comment(questionnaire, cleaned)
    if comment is None:
        return None
    _case, token = service.open_case(wave, agency, kind="dissatisfied", text=comment, language=language)
    return token


def status_url(token: str) -> str:
    """The case's status link as the citizen keeps it (PUBLIC_BASE_URL/c/<token>)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/c/{token}"
