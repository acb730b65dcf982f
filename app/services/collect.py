"""Finishing a questionnaire answered on the web (link or kiosk): one response, once."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.models import FormSession, Response
from app.services import answering, form_session, responses
from app.services.responses import AlreadyAnswered
from app.services.surveys import questionnaire_of
from survey_definitions import FieldError

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
    cleaned, errors = answering.final_answers(q, row.answers)
    if errors:
        return Outcome(errors=errors, page=answering.page_of(q, errors[0].field))
    if not form_session.claim(row):
        raise AlreadyAnswered()
    response = responses.store(row.wave, row.agency, cleaned, channel=row.channel, language=language,
                               invitation=row.invitation)
    form_session.record_receipt(row, response.receipt)
    return Outcome(response=response)
