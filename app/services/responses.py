"""Storing one response: one row (answers as a document, closed questions as a coded string), in the
caller's transaction, at most once per invitation and at most once per client submission id."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Agency, Invitation, Response, Wave
from app.models.base import utcnow
from app.services import coded
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
    for code in questionnaire.dossier_codes.intersection(cleaned):
        if cleaned[code] != NOT_APPLICABLE:
            stored[code] = dossier_digest(str(cleaned[code]))
    return stored


def client_key(submission_id: str) -> str:
    return keyed_digest(submission_id, "submission")


_RESPONSE = Response.__table__
_INVITATION = Invitation.__table__
# Built once: executing a prepared Core statement with parameters skips statement construction and
# cache-key generation, which cost more than the database round trip on the submission path.
_CLAIM = (update(_INVITATION).where(_INVITATION.c.id == bindparam("invitation"), _INVITATION.c.used_at.is_(None))
          .values(used_at=bindparam("now")))
_INSERT = insert(_RESPONSE).returning(_RESPONSE.c.id)
_FIRST = select(_RESPONSE.c.id, _RESPONSE.c.receipt).where(_RESPONSE.c.client_key == bindparam("key"))


def _insert_once(connection, values: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT (client_key) DO NOTHING RETURNING id (PostgreSQL and SQLite)."""
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[connection.dialect.name]
    stmt = builder(_RESPONSE).on_conflict_do_nothing(index_elements=["client_key"]).returning(_RESPONSE.c.id)
    return connection.execute(stmt, values).scalar()


def insert_response(questionnaire: Questionnaire, cleaned: dict[str, Any], *, wave_id: int,
                    survey_version_id: int, agency_id: int, channel: str, language: str, stratum: str = "",
                    invitation_id: int | None = None, submission_id: str | None = None,
                    submitted_on: date | None = None, excluded: bool = False,
                    exclusion_reason: str | None = None, claimed: bool = False) -> Stored:
    """Insert one response row; the caller commits once (and rolls back on any exception).

    With an invitation, the invitation is claimed first (UPDATE … WHERE used_at IS NULL): of
    concurrent submissions exactly one claims it, the others wait for its commit, find it used and
    raise AlreadyAnswered; the unique invitation_id behind it is the database's own guarantee.
    (claimed=True: the caller has already claimed it in this transaction.)
    With a submission id, a second upload of the same id stores nothing and returns the first.
    """
    connection = db.session.connection()
    if invitation_id is not None and not claimed:
        if connection.execute(_CLAIM, {"invitation": invitation_id, "now": utcnow()}).rowcount != 1:
            raise AlreadyAnswered()
    receipt = secrets.token_hex(8).upper()
    values = dict(receipt=receipt, wave_id=wave_id, survey_version_id=survey_version_id, agency_id=agency_id,
                  stratum=stratum, channel=channel, language=language, submitted_on=submitted_on or local_today(),
                  invitation_id=invitation_id, excluded=excluded, exclusion_reason=exclusion_reason,
                  answers=document(questionnaire, cleaned),
                  coded=coded.encode(questionnaire.coded_questions, cleaned), client_key=None)
    if submission_id is None:
        return Stored(connection.execute(_INSERT, values).scalar_one(), receipt)
    values["client_key"] = key = client_key(submission_id)
    new_id = _insert_once(connection, values)
    if new_id is not None:
        return Stored(new_id, receipt)
    first = connection.execute(_FIRST, {"key": key}).one()
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
