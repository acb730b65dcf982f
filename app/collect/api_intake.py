"""What the JSON API takes in: responses (`POST /api/v1/responses`) and invitations made by
integrations (`POST /api/v1/invitations`). Every refusal is a Refusal with the HTTP status and the
fields of the ⚑ contract in ../shared/DESIGN.md; the routes only parse, call and commit.

A submission is for an invitation (collection apps, exactly once per invitation) or a kiosk (a
desk tablet that queued answers offline, identified by its kiosk key). It is the hot path: one Core
query finds and claims the invitation with its wave and questionnaire version, no ORM objects are
built, and the response is one INSERT (both from collect/store, as every channel's).

The optimistic path, for an invitation on PostgreSQL. Almost every submission is valid, for an
invitation of the one wave that is open. For those, one statement claims the invitation and inserts
the response (store.insert_claiming, a data-modifying CTE), in autocommit: one round trip, fewer
than inserting a single row in a transaction (BEGIN, INSERT, COMMIT). Everything the statement
cannot vouch for goes to the full path, which gives every refusal its precise status and message:

- the answers are cleaned against the questionnaire of the open wave(s) seen in the last few
  seconds; with more than one open questionnaire version, or answers that do not pass, nothing is
  attempted here;
- the statement itself only claims an invitation that is unused, unexpired, of an open wave on
  exactly that questionnaire version, checksum included (and of the wave named in the body, if
  one is): if it claims nothing, nothing was written, and the full path finds out why (unknown,
  used, expired, closed, another wave or version).

So a stale view of the open waves can only send a submission down the slower path, never store a
wrong one. The exactly-once guarantee is the same row lock and unique invitation_id as before.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from app.cases import follow_up
from app.collect import invitations, issuing, kiosks, store
from app.collect.invitations import IssuedInvitation
from app.collect.page_view import message_for
from app.collect.store import ClientSubmission, Stored, payload_digest
from app.extensions import db
from app.models import Agency, ApiKey, Invitation, SurveyVersion, Wave
from app.models.wave import WAVE_OPEN
from app.programme import agencies, waves
from app.programme.questionnaires import questionnaire_by_checksum, questionnaire_of
from app.shared.refusal import Refusal
from app.shared.secrets import token_hash
from survey_definitions import Questionnaire
from survey_definitions.answers import clean_answers
from survey_definitions.questiontypes import DECREE118_SHAPE, dossier_code_problem

INVITATION_FIELDS = {"invitation", "answers", "language", "wave", "version", "submission", "processing_unit",
                     "follow_up"}
TOKEN_LENGTHS = range(16, 101)  # what an invitation token can be (secrets.new_token gives 32)
KIOSK_FIELDS = {"agency", "answers", "language", "wave", "version", "submission", "processing_unit", "follow_up"}
PROCESSING_UNIT = "processing_unit"


class Replayed(Exception):
    """A retry of a submission this invitation already stored: answer with its first receipt."""

    def __init__(self, stored: Stored):
        super().__init__(stored.receipt)
        self.stored = stored


SUBMISSION_REUSED = "this submission id was already used for other answers; give each response its own id"
ANSWERED = "this invitation has already been answered"


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
    processing_agency_id: int | None = None  # the unit that processed the dossier, if not the receiving one
    source: str | None = None  # for the integrity checks: "kiosk:<key id>"


def _refuse(status: int, field: str | None, message: str) -> Refusal:
    return Refusal.of([(field, message)], status)


def processing_unit(body: dict[str, Any]) -> int | None:
    """The agency id of the body's optional ``processing_unit`` (an agency code: the unit that
    processed the dossier when another unit received it); refuses (400, naming the field) a code
    that is not a known agency's."""
    code = body.get(PROCESSING_UNIT)
    if code is None or code == "":
        return None
    agency = agencies.by_code(code) if isinstance(code, str) and len(code) <= 40 else None
    if agency is None:
        raise _refuse(400, PROCESSING_UNIT, "processing_unit must be the code of a known agency "
                                            "(the unit that processed the dossier)")
    return agency.id


def submit(body: dict[str, Any], raw: bytes, kiosk_key: str | None) -> Stored:
    """Store a submission (a parsed JSON object; ``raw``: its bytes); the caller commits once, or
    rolls back on Refusal. ``replayed`` on the result: a retry, answered with its first receipt."""
    language = body.get("language", "vi")
    if language not in ("vi", "en"):
        raise _refuse(400, "language", "language must be 'vi' or 'en'")
    with force_locale(language):  # (refused before anything is claimed: nothing stored)
        asked = follow_up.from_json(body.get("follow_up"))
    stored = try_submit(body, raw, language) if kiosk_key is None else None
    if stored is not None:  # (committed already, on its own connection)
        return stored
    try:
        target = resolve(body, kiosk_key)
    except Replayed as exc:  # a retry of what this invitation stored: nothing claimed, nothing to undo
        return exc.stored
    # From here on the invitation is claimed in this transaction: every refusal rolls it back.
    refuse_unstorable_text(body)
    questionnaire = questionnaire_by_checksum(target.survey_version_id, target.checksum)
    cleaned, field_errors = clean_answers(questionnaire, body["answers"])
    if field_errors:
        with force_locale(language):
            raise Refusal.of([(e.field, str(message_for(e))) for e in field_errors])
    try:
        stored = store.insert_response(
            questionnaire, cleaned, wave_id=target.wave_id, survey_version_id=target.survey_version_id,
            agency_id=target.agency_id, channel=target.channel, language=language, stratum=target.stratum,
            invitation_id=target.invitation_id, submission=target.submission, claimed=target.claimed,
            processing_agency_id=target.processing_agency_id,
            signal=store.Signal(source=target.source) if target.source else None)
    except store.SubmissionConflict:
        raise _refuse(409, "submission", SUBMISSION_REUSED) from None
    except (store.AlreadyAnswered, IntegrityError):
        raise _refuse(409, "invitation", ANSWERED) from None
    if stored.replayed:  # a retry: its case, if any, was opened with the first upload
        return stored
    # The case, if any, in the same transaction: a refusal rolls the response back too.
    with force_locale(language):
        token = follow_up.open_cases(db.session.get(Wave, target.wave_id), db.session.get(Agency, target.agency_id),
                                     questionnaire, cleaned, asked, language)
    return replace(stored, case_token=token)


def resolve(body: dict[str, Any], kiosk_key: str | None) -> Target:
    """Check the envelope of a submission (not its answers); raises Refusal with status and fields."""
    if kiosk_key is None and "agency" in body and "invitation" not in body:
        raise _refuse(403, "X-Kiosk-Key", "a kiosk submission needs the kiosk's key in X-Kiosk-Key")
    allowed = KIOSK_FIELDS if kiosk_key is not None else INVITATION_FIELDS
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refusal.of([(k, "unknown field") for k in unknown])
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
    given = processing_unit(body)  # (an invitation's own processing unit otherwise)
    return target if given is None else replace(target, processing_agency_id=given)


def _submission(body: dict[str, Any], scope: str) -> ClientSubmission | None:
    if body.get("submission") is None:
        return None
    digest = payload_digest(body["answers"], body.get("language", "vi"), body.get("agency"))
    return ClientSubmission(scope, body["submission"], digest)


_INV, _WAVE = Invitation.__table__, Wave.__table__
_BY_TOKEN = (select(_INV.c.id, _INV.c.used_at, _INV.c.expires_at, _WAVE.c.status)
             .join(_WAVE, _WAVE.c.id == _INV.c.wave_id).where(_INV.c.token_hash == bindparam("digest")))


def _invitation(token: Any, body: dict[str, Any]) -> Target:
    """Find the invitation and claim it (store.claim_by_token) in the caller's transaction. Of
    concurrent submissions of one invitation, one claims it; the others wait for its commit and are
    told it was answered (or, if they repeat its submission id and answers, get its receipt:
    raises Replayed)."""
    if not isinstance(token, str) or len(token) not in TOKEN_LENGTHS:
        raise _refuse(400, "invitation", "invitation must be the token string from the invitation link")
    digest = token_hash(token)
    claimed = store.claim_by_token(digest)
    if claimed is None:
        state = db.session.connection().execute(_BY_TOKEN, {"digest": digest}).first()
        if state is not None and state.used_at is not None:
            submission = _submission(body, f"invitation:{state.id}")
            try:
                first = store.replay(submission) if submission is not None else None
            except store.SubmissionConflict:
                raise _refuse(409, "submission", SUBMISSION_REUSED) from None
            if first is not None:
                raise Replayed(first)
            raise _refuse(409, "invitation", ANSWERED)
        raise _refuse(404, "invitation", "unknown, expired or closed invitation")
    return Target(claimed.wave_id, claimed.wave_slug, claimed.survey_version_id, claimed.version, claimed.checksum,
                  claimed.agency_id, "online", claimed.invitation_id, claimed.stratum, claimed=True,
                  submission=_submission(body, f"invitation:{claimed.invitation_id}"),
                  processing_agency_id=claimed.processing_agency_id)


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
                  wave.survey_version.checksum, agency.id, "kiosk", submission=_submission(body, f"kiosk:{row.id}"),
                  source=f"kiosk:{row.id}")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "text must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (\ud800): no UTF-8 text, no database can store it
        return "text must be valid Unicode (an unpaired surrogate \\uD800–\\uDFFF was sent)"
    return None


def _unstorable(value, path: str = "") -> tuple[str, str] | None:
    """(path, message) of the first string PostgreSQL text cannot hold (NUL, lone surrogate), else None."""
    if isinstance(value, str):
        problem = _text_problem(value)
        return None if problem is None else (path, problem)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = _text_problem(key) if isinstance(key, str) else None
        if problem is not None:
            return (path or str(key)), problem
        found = _unstorable(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def refuse_unstorable_text(body: dict) -> None:
    """Refuse (400, naming the path) a body with text no database can store."""
    where = _unstorable(body)
    if where is not None:
        path, message = where
        raise _refuse(400, path or None, message)


def _check_dossier_format(wave: Wave, dossier: str) -> None:
    """A dossier code of the shape the wave's questionnaire asks for (Decree 118/2025: unit,
    receiving date YYMMDD, number), or a refusal naming the field and that shape."""
    questionnaire = questionnaire_of(wave.survey_version)
    formats = {q.format for q in questionnaire.questions if q.type == "dossier_code" and q.format}
    for fmt in formats:
        problem = dossier_code_problem(dossier.strip().upper(), fmt)
        if problem == "dossier_date":
            raise _refuse(400, "dossier", "the date in the dossier code (YYMMDD after the unit's code) is not a "
                                          "real date")
        if problem is not None:
            raise _refuse(400, "dossier", f"expected a dossier code as {DECREE118_SHAPE} (the receiving unit's "
                                          "code, the receiving date, the dossier's number)")


def invite(key: ApiKey, body: dict[str, Any]) -> IssuedInvitation:
    """One invitation for an integration key, counted against its daily cap and audited under its
    name (flushes; the caller commits once, after building its answer)."""
    wave = waves.get_wave(str(body.get("wave", "")))
    agency = agencies.by_code(str(body.get("agency", "")))
    if wave is None:
        raise _refuse(400, "wave", "unknown wave")
    if agency is None or (key.agency_id and key.agency_id != agency.id):
        raise _refuse(400, "agency", "unknown agency, or not one this key may use")
    dossier = body.get("dossier")
    if dossier is not None and (not isinstance(dossier, str) or not 3 <= len(dossier.strip()) <= 60):
        raise _refuse(400, "dossier", "dossier must be a dossier code string")
    if dossier:
        _check_dossier_format(wave, dossier)
    processing = processing_unit(body)
    issued = invitations.issue(wave, agency, dossiers=[dossier] if dossier else None,
                               actor_name=f"api_key:{key.id}:{key.name}", processing_agency_id=processing)
    issuing.claim_daily(key)
    return issued[0]


# The full path's invitation envelope, without submission ids (those are for kiosks' retries),
# without a processing unit (the full path looks its code up; the invitation's own is copied here)
# and without a follow-up (a case opens in the response's transaction).
FIELDS = INVITATION_FIELDS - {"submission", PROCESSING_UNIT, "follow_up"}
OPEN_VERSIONS_SECONDS = 5.0
# Text the database cannot store (NUL) or that may be an unpaired surrogate: the full path checks
# it and names the field. (A correct pair, as ensure_ascii encoders write emoji, also goes there.)
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


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
    if errors or follow_up.dissatisfied_comment(current.questionnaire, cleaned):  # (a case to open: full path)
        return None
    # wave, agency, stratum and invitation: the claimed invitation's
    values = store.row(current.questionnaire, cleaned, wave_id=None, survey_version_id=current.id, agency_id=None,
                       channel="online", language=language)
    return store.insert_claiming(token_hash(token), values, current.checksum, wave,
                                 store.signal_row(current.questionnaire, cleaned, None))
