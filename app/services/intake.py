"""The optimistic path for `POST /api/v1/responses` with an invitation, on PostgreSQL.

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
from sqlalchemy import select

from app.extensions import db
from app.models import SurveyVersion, Wave
from app.models.base import utcnow
from app.models.wave import WAVE_OPEN
from app.services import coded
from app.services.responses import Stored, document, local_today
from app.services.secrets import token_hash
from app.services.submissions import INVITATION_FIELDS, TOKEN_LENGTHS
from app.services.surveys import questionnaire_by_checksum
from survey_definitions import Questionnaire
from survey_definitions.answers import clean_answers

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
