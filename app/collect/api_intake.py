"""Who a JSON API submission is for: an invitation (collection apps, exactly once per invitation)
or a kiosk (a desk tablet that queued answers offline, identified by its kiosk key).

This is the hot path of `POST /api/v1/responses`: one Core query finds the invitation with its
wave and questionnaire version, no ORM objects are built, and the response is one INSERT.

The optimistic path for `POST /api/v1/responses` with an invitation, on PostgreSQL.

Almost every submission is valid, for an invitation of the one wave that is open. For those, one
statement claims the invitation and inserts the response (a data-modifying CTE), in autocommit:
one round trip, fewer than inserting a single row in a transaction (BEGIN, INSERT, COMMIT).
Everything the statement cannot vouch for goes to the full path (app/services/submissions.py),
which gives every refusal its precise status and message:

- the answers are cleaned against the questionnaire of the open wave(s) seen in the last few
  seconds; with more than one open questionnaire version, or answers that do not pass, nothing is
  attempted here;
- the statement itself only claims an invitation that is unused, unexpired, of an open wave on
  exactly that questionnaire version, checksum included (and of the wave named in the body, if
  one is): if it claims
  nothing, nothing was written, and the full path finds out why (unknown, used, expired, closed,
  another wave or version).

So a stale view of the open waves can only send a submission down the slower path, never store a
wrong one. The exactly-once guarantee is the same row lock and unique invitation_id as before.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select, update

from app.collect import coded, kiosks, store
from app.collect.store import ClientSubmission, Stored, document, local_today, payload_digest
from app.extensions import db
from app.models import Invitation, SurveyVersion, Wave
from app.models.base import utcnow
from app.models.wave import WAVE_OPEN
from app.programme import agencies
from app.programme.questionnaires import questionnaire_by_checksum
from app.shared.secrets import token_hash
from survey_definitions import Questionnaire
from survey_definitions.answers import clean_answers

INVITATION_FIELDS = {"invitation", "answers", "language", "wave", "version", "submission"}
TOKEN_LENGTHS = range(16, 101)  # what an invitation token can be (secrets.new_token gives 32)
KIOSK_FIELDS = {"agency", "answers", "language", "wave", "version", "submission"}


class Refused(Exception):
    def __init__(self, status: int, errors: list[tuple[str | None, str]]):
        super().__init__(errors[0][1])
        self.status, self.errors = status, errors


class Replayed(Exception):
    """A retry of a submission this invitation already stored: answer with its first receipt."""

    def __init__(self, stored: Stored):
        super().__init__(stored.receipt)
        self.stored = stored


SUBMISSION_REUSED = "this submission id was already used for other answers; give each response its own id"


@dataclass(frozen=True)
class Target:
    wave_id: int
    wave_slug: str
    survey_version_id: int
    version: int
    checksum: str
    agency_id: int
    channel: str
    invitation_id: int | None = None
    stratum: str = ""
    claimed: bool = False  # the invitation is already marked used in this transaction
    submission: ClientSubmission | None = None  # the client's submission id, scoped to this sender


def _refuse(status: int, field: str | None, message: str) -> Refused:
    return Refused(status, [(field, message)])


def resolve(body: dict[str, Any], kiosk_key: str | None) -> Target:
    """Check the envelope of a submission (not its answers); raises Refused with status and fields."""
    if kiosk_key is None and "agency" in body and "invitation" not in body:
        raise _refuse(403, "X-Kiosk-Key", "a kiosk submission needs the kiosk's key in X-Kiosk-Key")
    allowed = KIOSK_FIELDS if kiosk_key is not None else INVITATION_FIELDS
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refused(400, [(k, "unknown field") for k in unknown])
    if not isinstance(body.get("answers"), dict):
        raise _refuse(400, "answers", "answers must be an object {question code: value}")
    submission = body.get("submission")
    if submission is not None and (not isinstance(submission, str) or not 8 <= len(submission) <= 100):
        raise _refuse(400, "submission", "submission must be the client's id for this response, 8 to 100 characters")
    target = _kiosk(body, kiosk_key) if kiosk_key is not None else _invitation(body.get("invitation"), body)
    if "wave" in body and body["wave"] != target.wave_slug:
        raise _refuse(400, "wave", "this submission does not belong to that wave")
    if "version" in body and body["version"] != target.version:
        raise _refuse(400, "version", f"the wave collects version {target.version} of the questionnaire; "
                                      "fetch it again")
    return target


def _submission(body: dict[str, Any], scope: str) -> ClientSubmission | None:
    if body.get("submission") is None:
        return None
    digest = payload_digest(body["answers"], body.get("language", "vi"), body.get("agency"))
    return ClientSubmission(scope, body["submission"], digest)


_INV, _WAVE, _VERSION = Invitation.__table__, Wave.__table__, SurveyVersion.__table__
_BY_TOKEN = (select(_INV.c.id, _INV.c.used_at, _INV.c.expires_at, _WAVE.c.status)
             .join(_WAVE, _WAVE.c.id == _INV.c.wave_id).where(_INV.c.token_hash == bindparam("digest")))
_USABLE = (_INV.c.token_hash == bindparam("digest"), _INV.c.used_at.is_(None), _INV.c.expires_at >= bindparam("now"))
# PostgreSQL: find and claim the invitation, with its wave and questionnaire version, in one statement.
_CLAIM_PG = (update(_INV).where(*_USABLE, _WAVE.c.id == _INV.c.wave_id, _WAVE.c.status == WAVE_OPEN,
                                _VERSION.c.id == _WAVE.c.survey_version_id)
             .values(used_at=bindparam("now"))
             .returning(_INV.c.id, _INV.c.stratum, _INV.c.agency_id, _WAVE.c.id, _WAVE.c.slug,
                        _WAVE.c.survey_version_id, _VERSION.c.version, _VERSION.c.checksum))
# SQLite cannot return the FROM tables' columns: claim, then read the wave (same transaction).
_CLAIM = (update(_INV).where(*_USABLE, _INV.c.wave_id.in_(select(_WAVE.c.id).where(_WAVE.c.status == WAVE_OPEN)))
          .values(used_at=bindparam("now")).returning(_INV.c.id, _INV.c.stratum, _INV.c.agency_id, _INV.c.wave_id))
_WAVE_OF = (select(_WAVE.c.slug, _WAVE.c.survey_version_id, _VERSION.c.version, _VERSION.c.checksum)
            .join(_VERSION, _VERSION.c.id == _WAVE.c.survey_version_id).where(_WAVE.c.id == bindparam("wave")))


def _invitation(token: Any, body: dict[str, Any]) -> Target:
    """Find the invitation and claim it (used_at) in the caller's transaction: the caller rolls
    back if anything else about the submission is refused. Of concurrent submissions of one
    invitation, one claims it; the others wait for its commit and are told it was answered
    (or, if they repeat its submission id and answers, get its receipt: raises Replayed)."""
    if not isinstance(token, str) or len(token) not in TOKEN_LENGTHS:
        raise _refuse(400, "invitation", "invitation must be the token string from the invitation link")
    connection = db.session.connection()
    params = {"digest": token_hash(token), "now": utcnow()}
    if connection.dialect.name == "postgresql":
        row = connection.execute(_CLAIM_PG, params).first()
    else:
        row = connection.execute(_CLAIM, params).first()
        if row is not None:
            row = (*row[:3], row[3], *connection.execute(_WAVE_OF, {"wave": row[3]}).one())
    if row is None:
        state = connection.execute(_BY_TOKEN, params).first()
        if state is not None and state.used_at is not None:
            submission = _submission(body, f"invitation:{state.id}")
            try:
                first = store.replay(submission) if submission is not None else None
            except store.SubmissionConflict:
                raise _refuse(409, "submission", SUBMISSION_REUSED) from None
            if first is not None:
                raise Replayed(first)
            raise _refuse(409, "invitation", "this invitation has already been answered")
        raise _refuse(404, "invitation", "unknown, expired or closed invitation")
    invitation_id, stratum, agency_id, wave_id, slug, version_id, version, checksum = row
    return Target(wave_id, slug, version_id, version, checksum, agency_id, "online", invitation_id, stratum,
                  claimed=True, submission=_submission(body, f"invitation:{invitation_id}"))


def _kiosk(body: dict[str, Any], key: str) -> Target:
    agency = agencies.by_code(str(body.get("agency", "")))
    if agency is None:
        raise _refuse(400, "agency", "agency must be the code of the kiosk's agency")
    row = kiosks.find(key, agency)
    if row is None:
        raise _refuse(403, "X-Kiosk-Key", "this kiosk key is not valid for that agency")
    wave = kiosks.wave_for(agency)
    if wave is None:
        raise _refuse(400, "wave", "no open wave collects kiosk answers for this agency")
    kiosks.touch(row)
    return Target(wave.id, wave.slug, wave.survey_version_id, wave.survey_version.version,
                  wave.survey_version.checksum, agency.id, "kiosk", submission=_submission(body, f"kiosk:{row.id}"))


# The full path's invitation envelope, without submission ids (those are for kiosks' retries).
FIELDS = INVITATION_FIELDS - {"submission"}
OPEN_VERSIONS_SECONDS = 5.0
# Text the database cannot store (NUL) or that may be an unpaired surrogate: the full path checks
# it and names the field. (A correct pair, as ensure_ascii encoders write emoji, also goes there.)
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")

# psycopg's own placeholders: executed on the driver connection (prepared once per connection),
# which skips SQLAlchemy's statement layer on the busiest request of all.
_CLAIM_AND_INSERT = """
WITH claimed AS (
    UPDATE invitation SET used_at = %(now)s
    FROM wave, survey_version
    WHERE invitation.token_hash = %(digest)s AND invitation.used_at IS NULL AND invitation.expires_at >= %(now)s
      AND wave.id = invitation.wave_id AND wave.status = %(open)s AND wave.survey_version_id = %(version_id)s
      AND survey_version.id = %(version_id)s AND survey_version.checksum = %(checksum)s
      AND (CAST(%(wave)s AS varchar) IS NULL OR wave.slug = %(wave)s)
    RETURNING invitation.id, invitation.wave_id, invitation.agency_id, invitation.stratum
)
INSERT INTO response (receipt, wave_id, survey_version_id, agency_id, stratum, channel, language, submitted_on,
                      invitation_id, excluded, answers, coded)
SELECT %(receipt)s, claimed.wave_id, %(version_id)s, claimed.agency_id, claimed.stratum, 'online', %(language)s,
       %(today)s, claimed.id, false, CAST(%(answers)s AS jsonb), %(coded)s
FROM claimed
RETURNING id
"""


@dataclass(frozen=True)
class OpenVersion:
    id: int
    version: int
    checksum: str
    questionnaire: Questionnaire


def open_version() -> OpenVersion | None:
    """The one questionnaire version collected by open waves (None if none or several), as seen at
    most OPEN_VERSIONS_SECONDS ago by this process."""
    state = current_app.extensions.setdefault("sipas_open_versions", {"at": -1e9, "value": None})
    now = time.monotonic()
    if now - state["at"] > OPEN_VERSIONS_SECONDS:
        rows = db.session.execute(select(SurveyVersion.id, SurveyVersion.version, SurveyVersion.checksum)
                                  .join(Wave, Wave.survey_version_id == SurveyVersion.id)
                                  .where(Wave.status == WAVE_OPEN).distinct()).all()
        state["value"] = (OpenVersion(*rows[0], questionnaire_by_checksum(rows[0].id, rows[0].checksum))
                          if len(rows) == 1 else None)
        state["at"] = now
    return state["value"]


def try_submit(body: dict[str, Any], raw: bytes, language: str) -> Stored | None:
    """Store the submission in one statement if it is the common case; None: use the full path
    (nothing has been written)."""
    if db.engine.dialect.name != "postgresql":
        return None
    token, answers = body.get("invitation"), body.get("answers")
    if (not set(body) <= FIELDS or not isinstance(token, str) or len(token) not in TOKEN_LENGTHS
            or not isinstance(answers, dict) or _SUSPECT_ESCAPE.search(raw)):
        return None
    current = open_version()
    if current is None or body.get("version", current.version) != current.version:
        return None
    wave = body.get("wave")
    if wave is not None and not isinstance(wave, str):
        return None
    cleaned, errors = clean_answers(current.questionnaire, answers)
    if errors:
        return None
    receipt = secrets.token_hex(8).upper()
    parameters = {
        "now": utcnow(), "digest": token_hash(token), "open": WAVE_OPEN, "version_id": current.id,
        "checksum": current.checksum, "wave": wave, "receipt": receipt, "language": language,
        "today": local_today(), "answers": json.dumps(document(current.questionnaire, cleaned)),
        "coded": coded.encode(current.questionnaire.coded_questions, cleaned)}
    # A pooled connection of its own, in autocommit: the statement is its own transaction (all of
    # it or nothing), so no BEGIN and COMMIT round trips around it.
    connection = db.engine.raw_connection()
    try:
        driver = connection.driver_connection
        driver.autocommit = True
        try:
            row = driver.execute(_CLAIM_AND_INSERT, parameters, prepare=True).fetchone()
        finally:
            driver.autocommit = False
    finally:
        connection.close()
    return None if row is None else Stored(row[0], receipt)
