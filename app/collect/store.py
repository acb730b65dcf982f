"""Storing one response: one row (answers as a document, closed questions as a coded string), in the
caller's transaction, at most once per invitation and at most once per client submission id.

Every channel writes its rows here: the web and kiosk forms (form_sessions.finish), paper forms,
the JSON API (its one-statement PostgreSQL fast path included), imports and the demo. `row()` is
THE response-row recipe (receipt, answer document, coded string, day) and `_claim()` THE invitation
claim (mark it used, only if still unused): every statement that writes a response or uses up an
invitation is built from them.

A client submission id is scoped to the kiosk key or invitation that sent it, and bound to a digest
of its payload: the same id from another device is another response; the same id again from the
same device is a retry (the first receipt) if the payload is the same, and a conflict if not.

The `coded` string: every closed question (scale, single choice, yes/no) of the questionnaire, in
questionnaire order, one character each: chr(48 + value) for a value 0 … 50,000 ("1" … "5" on the
SIPAS scales, beyond ASCII for option codes such as 99), "-" for not applicable, " " for not asked
or not answered. A wave's estimates and dashboard decode a million of them with one numpy call
instead of reading a document each. The answer document stays the source of truth.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app, has_request_context, request
from sqlalchemy import Date, DateTime, Integer, String, bindparam, cast, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.collect.invitations import dossier_digest
from app.extensions import db
from app.models import Agency, Invitation, Response, ResponseSignal, SurveyVersion, Wave
from app.models.base import utcnow
from app.models.wave import WAVE_OPEN
from app.programme.questionnaires import questionnaire_of
from app.shared.secrets import keyed_digest
from survey_definitions import NOT_APPLICABLE, Questionnaire
from survey_definitions.questiontypes import DECREE118_RE

CODED_NOT_APPLICABLE, CODED_MISSING, ZERO = "-", " ", 48
HIGHEST = 50_000  # chr(48 + 50,000) stays below the surrogate range


def encode(codes: Iterable[str], answers: Mapping[str, Any]) -> str:
    """The coded string of these answers (``codes``: the questionnaire's closed questions, in order)."""
    out = []
    for code in codes:
        value = answers.get(code)
        if value is None or isinstance(value, bool):
            out.append(CODED_MISSING)
        elif value == NOT_APPLICABLE:
            out.append(CODED_NOT_APPLICABLE)
        elif isinstance(value, int | float) and float(value).is_integer() and 0 <= value <= HIGHEST:
            out.append(chr(ZERO + int(value)))
        else:
            raise ValueError(f"{code}: a closed question holds {value!r}, not a value 0..{HIGHEST}")
    return "".join(out)


def decode(strings: Iterable[str], width: int, by_column: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """n coded strings → an n × width float array of values, NaN where not applicable or not answered
    (width × n, one row per question, with ``by_column``; written into ``out`` when given)."""
    strings = list(strings)
    joined = "".join(strings)
    if len(joined) != len(strings) * width:  # not expected (versions are immutable): pad or cut
        joined = "".join(s.ljust(width)[:width] for s in strings)
    return decode_joined(joined, len(strings), width, by_column, out)


def decode_joined(joined: str, rows: int, width: int, by_column: bool = False,
                  out: np.ndarray | None = None) -> np.ndarray:
    """The same from the strings already concatenated (decode joins them)."""
    try:  # values up to 207 fit one byte each: a quarter of the memory of UTF-32
        raw = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        raw = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
    raw = raw.reshape(rows, width)
    if by_column:  # each question's answers side by side in memory, as a table column wants them
        raw = np.ascontiguousarray(raw.T)
    if raw.dtype == np.uint8:
        return np.take(_BYTE_VALUES, raw, out=out, mode="clip")  # one lookup per answer ("clip": unbuffered)
    points = raw.astype(float)
    points[points < ZERO] = np.nan  # " " (32) and "-" (45)
    points -= ZERO
    if out is None:
        return points
    out[...] = points
    return out


# The value of every byte: NaN for " " and "-" (below ZERO), else its distance from ZERO.
_BYTE_VALUES = np.where(np.arange(256) < ZERO, np.nan, np.arange(256) - ZERO).astype(float)


@dataclass(frozen=True)
class Signal:
    """Who sent a submission, for the integrity checks (app/review/integrity.py): the source
    ("kiosk:<key id>", "paper:<user id>"; stored as a keyed digest) and when its form was started."""

    source: str | None = None
    started_at: datetime | None = None


def signal_row(questionnaire: Questionnaire, cleaned: dict[str, Any], signal: Signal | None) -> dict[str, Any]:
    """THE integrity signal of a submission (without its response id): the minute, the source and the
    address as keyed digests, the form's duration, a Decree 118 dossier code's unit and day."""
    now = utcnow().replace(second=0, microsecond=0)
    address = request.remote_addr if has_request_context() else None
    started = signal.started_at if signal is not None else None
    unit, day = None, None
    for code in sorted(questionnaire.dossier_codes.intersection(cleaned)):
        value = str(cleaned[code]).upper()
        if DECREE118_RE.fullmatch(value):
            unit, digits = value.split("-")[0], value.split("-")[1]
            try:
                day = date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
            except ValueError:
                day = None
            break
    return dict(submitted_at=now,
                source=keyed_digest(signal.source, "signal-source") if signal is not None and signal.source else None,
                address=keyed_digest(address, "signal-address") if address else None,
                duration_seconds=max(0, int((utcnow() - started).total_seconds())) if started else None,
                dossier_unit=unit, dossier_day=day)


class AlreadyAnswered(Exception):
    """The invitation has already produced its one response."""


class SubmissionConflict(Exception):
    """This submission id was already used by this kiosk or invitation for other answers."""


@dataclass(frozen=True)
class Stored:
    id: int
    receipt: str
    replayed: bool = False  # True: this client submission id had been stored before
    case_token: str | None = None  # the status token of the case this submission opened (cases/follow_up)


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def document(questionnaire: Questionnaire, cleaned: dict[str, Any]) -> dict[str, Any]:
    """Cleaned answers as stored: dossier codes only as keyed digests, never next to answers."""
    stored = dict(cleaned)
    for code in questionnaire.dossier_codes.intersection(cleaned):
        if cleaned[code] != NOT_APPLICABLE:
            stored[code] = dossier_digest(str(cleaned[code]))
    return stored


def row(questionnaire: Questionnaire, cleaned: dict[str, Any], *, wave_id: int | None, survey_version_id: int,
        agency_id: int | None, channel: str, language: str, stratum: str = "", invitation_id: int | None = None,
        submitted_on: date | None = None, excluded: bool = False, exclusion_reason: str | None = None,
        processing_agency_id: int | None = None) -> dict[str, Any]:
    """THE response row: every column of one response (a new receipt, the answer document with
    dossier codes as digests, the coded string, the local day), without a client submission id.
    ``agency_id`` is the receiving unit, ``processing_agency_id`` the processing unit if another."""
    return dict(receipt=secrets.token_hex(8).upper(), wave_id=wave_id, survey_version_id=survey_version_id,
                agency_id=agency_id, processing_agency_id=processing_agency_id, stratum=stratum, channel=channel, language=language,
                submitted_on=submitted_on or local_today(), invitation_id=invitation_id, excluded=excluded,
                exclusion_reason=exclusion_reason, answers=document(questionnaire, cleaned),
                coded=encode(questionnaire.coded_questions, cleaned), client_key=None, client_digest=None)


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


_RESPONSE, _INV = Response.__table__, Invitation.__table__
_WAVE, _VERSION = Wave.__table__, SurveyVersion.__table__


def _claim(*conditions):
    """THE invitation claim: UPDATE … SET used_at = :now WHERE used_at IS NULL AND <conditions>. Of
    concurrent claims of one invitation exactly one succeeds: the others wait for its commit and
    find it used (the unique response.invitation_id behind it is the database's own guarantee)."""
    return update(_INV).where(_INV.c.used_at.is_(None), *conditions).values(used_at=bindparam("now"))


# Built once: executing a prepared Core statement with parameters skips statement construction and
# cache-key generation, which cost more than the database round trip on the submission path.
_CLAIM_BY_ID = _claim(_INV.c.id == bindparam("invitation"))
# By the token: unexpired, of an open wave (the API, which has no form session to vouch for it).
_BY_TOKEN = (_INV.c.token_hash == bindparam("digest"), _INV.c.expires_at >= bindparam("now"))
_OF_OPEN_WAVE = (_WAVE.c.id == _INV.c.wave_id, _WAVE.c.status == WAVE_OPEN)
# PostgreSQL: claim the invitation and return its wave and questionnaire version, in one statement.
_CLAIM_BY_TOKEN_PG = (_claim(*_BY_TOKEN, *_OF_OPEN_WAVE, _VERSION.c.id == _WAVE.c.survey_version_id)
                      .returning(_INV.c.id, _INV.c.stratum, _INV.c.agency_id, _WAVE.c.id, _WAVE.c.slug,
                                 _WAVE.c.survey_version_id, _VERSION.c.version, _VERSION.c.checksum,
                                 _INV.c.processing_agency_id))
# SQLite cannot return the FROM tables' columns: claim, then read the wave (same transaction).
_CLAIM_BY_TOKEN = (_claim(*_BY_TOKEN, _INV.c.wave_id.in_(select(_WAVE.c.id).where(_WAVE.c.status == WAVE_OPEN)))
                   .returning(_INV.c.id, _INV.c.stratum, _INV.c.agency_id, _INV.c.wave_id,
                              _INV.c.processing_agency_id))
_WAVE_OF = (select(_WAVE.c.slug, _WAVE.c.survey_version_id, _VERSION.c.version, _VERSION.c.checksum)
            .join(_VERSION, _VERSION.c.id == _WAVE.c.survey_version_id).where(_WAVE.c.id == bindparam("wave")))
_INSERT = insert(_RESPONSE).returning(_RESPONSE.c.id)
_SIGNAL = ResponseSignal.__table__
_FIRST = (select(_RESPONSE.c.id, _RESPONSE.c.receipt, _RESPONSE.c.client_digest)
          .where(_RESPONSE.c.client_key == bindparam("key")))


@dataclass(frozen=True)
class Claimed:
    """An invitation claimed by its token, with what a response to it needs."""
    invitation_id: int
    stratum: str
    agency_id: int
    wave_id: int
    wave_slug: str
    survey_version_id: int
    version: int
    checksum: str
    processing_agency_id: int | None = None


def claim_by_token(digest: str) -> Claimed | None:
    """Claim the usable invitation with this token digest in the caller's transaction (the caller
    rolls back if anything else is refused); None: unknown, used, expired or of a closed wave."""
    connection = db.session.connection()
    params = {"digest": digest, "now": utcnow()}
    if connection.dialect.name == "postgresql":
        found = connection.execute(_CLAIM_BY_TOKEN_PG, params).first()
        return None if found is None else Claimed(*found)
    found = connection.execute(_CLAIM_BY_TOKEN, params).first()
    if found is None:
        return None
    return Claimed(*found[:4], *connection.execute(_WAVE_OF, {"wave": found[3]}).one(), found[4])


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
                    exclusion_reason: str | None = None, claimed: bool = False,
                    processing_agency_id: int | None = None, signal: Signal | None = None) -> Stored:
    """Insert one response row; the caller commits once (and rolls back on any exception).

    With an invitation, the invitation is claimed first (_claim): of concurrent submissions exactly
    one claims it, the others raise AlreadyAnswered. (claimed=True: the caller has already claimed
    it in this transaction, by claim_by_token.)
    With a client submission, a second upload of the same id (same scope, same payload) stores
    nothing and returns the first; with another payload it raises SubmissionConflict.
    """
    connection = db.session.connection()
    if invitation_id is not None and not claimed:
        if connection.execute(_CLAIM_BY_ID, {"invitation": invitation_id, "now": utcnow()}).rowcount != 1:
            first = replay(submission) if submission is not None else None
            if first is None:
                raise AlreadyAnswered()
            return first
    values = row(questionnaire, cleaned, wave_id=wave_id, survey_version_id=survey_version_id,
                 agency_id=agency_id, channel=channel, language=language, stratum=stratum,
                 invitation_id=invitation_id, submitted_on=submitted_on, excluded=excluded,
                 exclusion_reason=exclusion_reason, processing_agency_id=processing_agency_id)
    if submission is None:
        new_id = connection.execute(_INSERT, values).scalar_one()
        connection.execute(insert(_SIGNAL), {"response_id": new_id, **signal_row(questionnaire, cleaned, signal)})
        return Stored(new_id, values["receipt"])
    values["client_key"], values["client_digest"] = submission.key, submission.digest
    new_id = _insert_once(connection, values)
    if new_id is not None:
        connection.execute(insert(_SIGNAL), {"response_id": new_id, **signal_row(questionnaire, cleaned, signal)})
        return Stored(new_id, values["receipt"])
    # Another request stored this id first (ON CONFLICT waited for its commit): a retry or a conflict.
    first = replay(submission)
    if first is None:  # cannot happen: the conflicting row is committed and visible
        raise SubmissionConflict()
    return first


def insert_rows(rows: list[dict[str, Any]]) -> None:
    """Insert many rows made by row() at once (no invitations, no submission ids: the demo)."""
    db.session.execute(insert(Response), rows)


def store(wave: Wave, agency: Agency, cleaned: dict[str, Any], *, channel: str, language: str,
          invitation: Invitation | None = None, stratum: str = "", submitted_on: date | None = None,
          excluded: bool = False, exclusion_reason: str | None = None,
          processing: Agency | None = None, signal: Signal | None = None) -> Response:
    """insert_response for callers holding ORM objects; returns the stored Response. The processing
    unit: ``processing`` when given, else the invitation's (None: the receiving unit processed it)."""
    processing_id = processing.id if processing is not None else (
        invitation.processing_agency_id if invitation is not None else None)
    stored = insert_response(
        questionnaire_of(wave.survey_version), cleaned, wave_id=wave.id,
        survey_version_id=wave.survey_version_id, agency_id=agency.id, channel=channel, language=language,
        stratum=stratum or (invitation.stratum if invitation else ""),
        invitation_id=invitation.id if invitation else None,
        submitted_on=submitted_on, excluded=excluded, exclusion_reason=exclusion_reason,
        processing_agency_id=processing_id, signal=signal)
    if invitation is not None:
        db.session.refresh(invitation, ["used_at"])
    return db.session.get(Response, stored.id)


# The optimistic path of the API (PostgreSQL): THE claim and THE row in one data-modifying CTE,
# run in autocommit on a pooled connection of its own: one round trip, no BEGIN and COMMIT.
# The claim vouches for the invitation (usable, of an open wave on exactly this questionnaire
# version, checksum included, and of the wave named in the body, if one is); the invitation gives
# the row its wave, agency, processing unit, stratum and id, the recipe gives every other column.
_FROM_CLAIM = ("wave_id", "agency_id", "processing_agency_id", "stratum", "invitation_id")
_CLAIMED = (_claim(*_BY_TOKEN, *_OF_OPEN_WAVE, _WAVE.c.survey_version_id == bindparam("survey_version_id"),
                   _VERSION.c.id == bindparam("survey_version_id"), _VERSION.c.checksum == bindparam("checksum"),
                   or_(cast(bindparam("wave", type_=String), String).is_(None), _WAVE.c.slug == bindparam("wave")))
            .returning(_INV.c.id.label("invitation_id"), _INV.c.wave_id, _INV.c.agency_id, _INV.c.stratum,
                       _INV.c.processing_agency_id)
            .cte("claimed"))


def _claim_and_insert():
    """The statement with psycopg's own placeholders, and its constant parameters (the open status)."""
    columns = [c for c in _RESPONSE.c if c.key not in ("id", "rolled")]  # (rolled: the database's default)
    chosen = [_CLAIMED.c[c.key] if c.key in _FROM_CLAIM else bindparam(c.key, type_=c.type) for c in columns]
    inserted = (insert(_RESPONSE).from_select([c.key for c in columns], select(*chosen).select_from(_CLAIMED),
                                              include_defaults=False)
                .returning(_RESPONSE.c.id).cte("inserted"))
    # and its integrity signal, in the same statement (signal_row's values, prefixed "signal_")
    kinds = {"submitted_at": DateTime(), "source": String(), "address": String(), "duration_seconds": Integer(),
             "dossier_unit": String(), "dossier_day": Date()}
    statement = (insert(_SIGNAL).from_select(
        ["response_id", *kinds], select(inserted.c.id, *(bindparam(f"signal_{k}", type_=t) for k, t in kinds.items())),
        include_defaults=False).returning(_SIGNAL.c.response_id))
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())
    return str(compiled), {k: v for k, v in compiled.params.items() if v is not None}


def insert_claiming(digest: str, values: dict[str, Any], checksum: str, wave_slug: str | None,
                    signal: dict[str, Any]) -> Stored | None:
    """Claim the invitation with this token digest and insert row() ``values`` (their wave, agency,
    stratum and invitation come from it) and its signal_row() ``signal``, in one autocommitted
    statement; None: nothing claimed, nothing written."""
    parameters = {**_CONSTANTS, **values, "answers": json.dumps(values["answers"]), "now": utcnow(),
                  "digest": digest, "checksum": checksum, "wave": wave_slug,
                  **{f"signal_{k}": v for k, v in signal.items()}}
    connection = db.engine.raw_connection()
    try:
        driver = connection.driver_connection
        driver.autocommit = True
        try:
            # executed on the driver connection (prepared once per connection), which skips
            # SQLAlchemy's statement layer on the busiest request of all
            found = driver.execute(_CLAIM_AND_INSERT, parameters, prepare=True).fetchone()
        finally:
            driver.autocommit = False
    finally:
        connection.close()
    return None if found is None else Stored(found[0], values["receipt"])


_CLAIM_AND_INSERT, _CONSTANTS = _claim_and_insert()
