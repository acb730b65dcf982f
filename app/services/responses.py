"""Storing one response: one row (answers as a document, rated items as a ratings string), in the
caller's transaction, at most once per invitation and at most once per client submission id."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Agency, Invitation, Response, Wave
from app.models.base import utcnow
from app.services import ratings
from app.services.invitations import dossier_digest
from app.services.secrets import keyed_digest
from app.services.surveys import questionnaire_of
from survey_definitions import Questionnaire

NOT_APPLICABLE = "na"


class AlreadyAnswered(Exception):
    """The invitation has already produced its one response."""


@dataclass(frozen=True)
class Stored:
    id: int
    receipt: str
    replayed: bool = False  # True: this client submission id had been stored before


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def document(questionnaire: Questionnaire, cleaned: dict[str, Any]) -> dict[str, Any]:
    """Cleaned answers as stored: dossier codes only as keyed digests, never next to answers."""
    stored = dict(cleaned)
    for code, value in cleaned.items():
        if value != NOT_APPLICABLE and questionnaire.question(code).type == "dossier_code":
            stored[code] = dossier_digest(str(value))
    return stored


def client_key(submission_id: str) -> str:
    return keyed_digest(submission_id, "submission")


def _on_conflict_do_nothing(table, column: str):
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    return builder(table).on_conflict_do_nothing(index_elements=[column])


def insert_response(questionnaire: Questionnaire, cleaned: dict[str, Any], *, wave_id: int,
                    survey_version_id: int, agency_id: int, channel: str, language: str, stratum: str = "",
                    invitation_id: int | None = None, submission_id: str | None = None,
                    submitted_on: date | None = None, excluded: bool = False,
                    exclusion_reason: str | None = None) -> Stored:
    """Insert one response row; the caller commits once (and rolls back on any exception).

    With an invitation, the invitation is claimed first (UPDATE … WHERE used_at IS NULL): of
    concurrent submissions exactly one claims it, the others wait for its commit, find it used and
    raise AlreadyAnswered; the unique invitation_id behind it is the database's own guarantee.
    With a submission id, a second upload of the same id stores nothing and returns the first.
    """
    if invitation_id is not None:
        claimed = db.session.execute(
            update(Invitation).where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
            .values(used_at=utcnow()).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise AlreadyAnswered()
    receipt = secrets.token_hex(8).upper()
    values = dict(receipt=receipt, wave_id=wave_id, survey_version_id=survey_version_id, agency_id=agency_id,
                  stratum=stratum, channel=channel, language=language, submitted_on=submitted_on or local_today(),
                  invitation_id=invitation_id, excluded=excluded, exclusion_reason=exclusion_reason,
                  answers=document(questionnaire, cleaned),
                  ratings=ratings.encode(questionnaire.rated_items, cleaned))
    table = Response.__table__
    if submission_id is None:
        new_id = db.session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
        return Stored(new_id, receipt)
    key = client_key(submission_id)
    new_id = db.session.execute(_on_conflict_do_nothing(table, "client_key").values(client_key=key, **values)
                                .returning(table.c.id)).scalar()
    if new_id is not None:
        return Stored(new_id, receipt)
    first = db.session.execute(select(table.c.id, table.c.receipt).where(table.c.client_key == key)).one()
    return Stored(first.id, first.receipt, replayed=True)


def store(wave: Wave, agency: Agency, cleaned: dict[str, Any], *, channel: str, language: str,
          invitation: Invitation | None = None, stratum: str = "", submitted_on: date | None = None,
          excluded: bool = False, exclusion_reason: str | None = None,
          submission_id: str | None = None) -> Response:
    """insert_response for callers holding ORM objects; returns the stored Response."""
    stored = insert_response(
        questionnaire_of(wave.survey_version), cleaned, wave_id=wave.id,
        survey_version_id=wave.survey_version_id, agency_id=agency.id, channel=channel, language=language,
        stratum=stratum or (invitation.stratum if invitation else ""),
        invitation_id=invitation.id if invitation else None, submission_id=submission_id,
        submitted_on=submitted_on, excluded=excluded, exclusion_reason=exclusion_reason)
    if invitation is not None:
        db.session.refresh(invitation, ["used_at"])
    return db.session.get(Response, stored.id)
