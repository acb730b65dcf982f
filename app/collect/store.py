"""Storing one response: one row (answers as a document, closed questions as a coded string), in the
caller's transaction, at most once per invitation and at most once per client submission id.

A client submission id is scoped to the kiosk key or invitation that sent it, and bound to a digest
of its payload: the same id from another device is another response; the same id again from the
same device is a retry (the first receipt) if the payload is the same, and a conflict if not."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.collect import coded
from app.collect.invitations import dossier_digest
from app.extensions import db
from app.models import Agency, Invitation, Response, Wave
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from app.shared.secrets import keyed_digest
from survey_definitions import Questionnaire

NOT_APPLICABLE = "na"


class AlreadyAnswered(Exception):
    """The invitation has already produced its one response."""


class SubmissionConflict(Exception):
    """This submission id was already used by this kiosk or invitation for other answers."""


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


def client_key(scope: str, submission_id: str) -> str:
    """The stored key of a submission id: scoped ("kiosk:<key id>", "invitation:<id>"), keyed hash."""
    return keyed_digest(f"{scope}\x1f{submission_id}", "submission")


def payload_digest(answers: Any, language: str, agency: str | None = None) -> str:
    """What a retry must repeat exactly: the answers as sent, the language and (kiosks) the agency."""
    canonical = json.dumps({"answers": answers, "language": language, "agency": agency}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return keyed_digest(canonical, "submission-payload")


@dataclass(frozen=True)
class ClientSubmission:
    scope: str
    id: str
    digest: str

    @property
    def key(self) -> str:
        return client_key(self.scope, self.id)


_RESPONSE = Response.__table__
_INVITATION = Invitation.__table__
# Built once: executing a prepared Core statement with parameters skips statement construction and
# cache-key generation, which cost more than the database round trip on the submission path.
_CLAIM = (update(_INVITATION).where(_INVITATION.c.id == bindparam("invitation"), _INVITATION.c.used_at.is_(None))
          .values(used_at=bindparam("now")))
_INSERT = insert(_RESPONSE).returning(_RESPONSE.c.id)
_FIRST = (select(_RESPONSE.c.id, _RESPONSE.c.receipt, _RESPONSE.c.client_digest)
          .where(_RESPONSE.c.client_key == bindparam("key")))


def replay(submission: ClientSubmission) -> Stored | None:
    """The response this submission id already stored (a retry), None if there is none; raises
    SubmissionConflict if the id was stored with another payload."""
    first = db.session.connection().execute(_FIRST, {"key": submission.key}).first()
    if first is None:
        return None
    if first.client_digest != submission.digest:
        raise SubmissionConflict()
    return Stored(first.id, first.receipt, replayed=True)


def _insert_once(connection, values: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT (client_key) DO NOTHING RETURNING id (PostgreSQL and SQLite)."""
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[connection.dialect.name]
    stmt = builder(_RESPONSE).on_conflict_do_nothing(index_elements=["client_key"]).returning(_RESPONSE.c.id)
    return connection.execute(stmt, values).scalar()


def insert_response(questionnaire: Questionnaire, cleaned: dict[str, Any], *, wave_id: int,
                    survey_version_id: int, agency_id: int, channel: str, language: str, stratum: str = "",
                    invitation_id: int | None = None, submission: ClientSubmission | None = None,
                    submitted_on: date | None = None, excluded: bool = False,
                    exclusion_reason: str | None = None, claimed: bool = False) -> Stored:
    """Insert one response row; the caller commits once (and rolls back on any exception).

    With an invitation, the invitation is claimed first (UPDATE … WHERE used_at IS NULL): of
    concurrent submissions exactly one claims it, the others wait for its commit, find it used and
    raise AlreadyAnswered; the unique invitation_id behind it is the database's own guarantee.
    (claimed=True: the caller has already claimed it in this transaction.)
    With a client submission, a second upload of the same id (same scope, same payload) stores
    nothing and returns the first; with another payload it raises SubmissionConflict.
    """
    connection = db.session.connection()
    if invitation_id is not None and not claimed:
        if connection.execute(_CLAIM, {"invitation": invitation_id, "now": utcnow()}).rowcount != 1:
            first = replay(submission) if submission is not None else None
            if first is None:
                raise AlreadyAnswered()
            return first
    receipt = secrets.token_hex(8).upper()
    values = dict(receipt=receipt, wave_id=wave_id, survey_version_id=survey_version_id, agency_id=agency_id,
                  stratum=stratum, channel=channel, language=language, submitted_on=submitted_on or local_today(),
                  invitation_id=invitation_id, excluded=excluded, exclusion_reason=exclusion_reason,
                  answers=document(questionnaire, cleaned),
                  coded=coded.encode(questionnaire.coded_questions, cleaned), client_key=None,
                  client_digest=None)
    if submission is None:
        return Stored(connection.execute(_INSERT, values).scalar_one(), receipt)
    values["client_key"], values["client_digest"] = submission.key, submission.digest
    new_id = _insert_once(connection, values)
    if new_id is not None:
        return Stored(new_id, receipt)
    # Another request stored this id first (ON CONFLICT waited for its commit): a retry or a conflict.
    first = replay(submission)
    if first is None:  # cannot happen: the conflicting row is committed and visible
        raise SubmissionConflict()
    return first


def store(wave: Wave, agency: Agency, cleaned: dict[str, Any], *, channel: str, language: str,
          invitation: Invitation | None = None, stratum: str = "", submitted_on: date | None = None,
          excluded: bool = False, exclusion_reason: str | None = None) -> Response:
    """insert_response for callers holding ORM objects; returns the stored Response."""
    stored = insert_response(
        questionnaire_of(wave.survey_version), cleaned, wave_id=wave.id,
        survey_version_id=wave.survey_version_id, agency_id=agency.id, channel=channel, language=language,
        stratum=stratum or (invitation.stratum if invitation else ""),
        invitation_id=invitation.id if invitation else None,
        submitted_on=submitted_on, excluded=excluded, exclusion_reason=exclusion_reason)
    if invitation is not None:
        db.session.refresh(invitation, ["used_at"])
    return db.session.get(Response, stored.id)
