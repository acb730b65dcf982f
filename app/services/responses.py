"""Storing one response: all of it in one transaction, at most once per invitation."""
from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Agency, Answer, Invitation, Response, Wave
from app.models.base import utcnow
from app.services.invitations import dossier_digest
from app.services.surveys import questionnaire_of
from survey_definitions import Questionnaire

NOT_APPLICABLE = "na"


class AlreadyAnswered(Exception):
    """The invitation has already produced its one response."""


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def answer_rows(questionnaire: Questionnaire, cleaned: dict[str, Any]) -> list[dict[str, Any]]:
    """Cleaned answers → long-format rows (value for numbers, text for text; both NULL = n/a)."""
    rows = []
    for code, value in cleaned.items():
        number, text = None, None
        if value == NOT_APPLICABLE:
            pass
        elif isinstance(value, list):
            text = " ".join(str(v) for v in value)
        elif isinstance(value, bool):
            number = float(value)
        elif isinstance(value, int | float):
            number = float(value)
        elif questionnaire.question(code).type == "dossier_code":
            text = dossier_digest(str(value))  # never the raw dossier code next to answers
        else:
            text = str(value)
        rows.append({"question_code": code, "value": number, "text": text})
    return rows


def _insert_response(values: dict[str, Any], on_invitation: bool) -> int | None:
    table = Response.__table__
    if not on_invitation:
        return db.session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
    dialect = db.session.get_bind().dialect.name
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    stmt = (builder(table).values(**values)
            .on_conflict_do_nothing(index_elements=["invitation_id"]).returning(table.c.id))
    return db.session.execute(stmt).scalar()


def store(wave: Wave, agency: Agency, cleaned: dict[str, Any], *, channel: str, language: str,
          invitation: Invitation | None = None, stratum: str = "", submitted_on: date | None = None,
          excluded: bool = False, exclusion_reason: str | None = None) -> Response:
    """Insert one response and its answers; flushes, the caller commits once.

    With an invitation, the insert is ON CONFLICT (invitation_id) DO NOTHING: of concurrent
    submissions for one invitation, exactly one inserts and the others raise AlreadyAnswered.
    """
    questionnaire = questionnaire_of(wave.survey_version)
    values = dict(receipt=secrets.token_hex(8).upper(), wave_id=wave.id,
                  survey_version_id=wave.survey_version_id, agency_id=agency.id,
                  stratum=stratum or (invitation.stratum if invitation else ""), channel=channel,
                  language=language, submitted_on=submitted_on or local_today(),
                  invitation_id=invitation.id if invitation else None,
                  excluded=excluded, exclusion_reason=exclusion_reason)
    response_id = _insert_response(values, on_invitation=invitation is not None)
    if response_id is None:
        raise AlreadyAnswered()
    if invitation is not None:
        used_at = utcnow()
        db.session.execute(update(Invitation).where(Invitation.id == invitation.id).values(used_at=used_at)
                           .execution_options(synchronize_session=False))
        set_committed_value(invitation, "used_at", used_at)
    rows = answer_rows(questionnaire, cleaned)
    if rows:
        # Core executemany: the ORM's bulk path costs more than the insert itself here.
        db.session.execute(insert(Answer.__table__), [dict(row, response_id=response_id) for row in rows])
    return db.session.get(Response, response_id)
