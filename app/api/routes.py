"""JSON API v1 (contract in ../shared/DESIGN.md ⚑). Routes parse, call a service, commit once."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from app.accounts import logins
from app.accounts.tokens import (
    api_key_from_request,
    issue_token,
    token_from_request,
    token_required,
    user_from_token,
)
from app.api.openapi import spec
from app.blueprints import api as bp
from app.collect import api_intake, invitations, store
from app.collect.issuing import LimitExceeded, claim_daily, integration_key
from app.collect.page_view import message_for
from app.errors import api_error
from app.extensions import configured_limit, db, limiter
from app.models.wave import WAVE_DRAFT
from app.programme import agencies, waves
from app.programme.questionnaires import questionnaire_by_checksum, questionnaire_of
from app.reports.lookups import STAFF, wave_visible
from app.results import estimates, heavy
from app.shared import audit
from app.shared.refusal import Refusal
from app.throttle import limit_failures, refused_credential
from survey_definitions.answers import clean_answers


def json_body(refuse_nul: bool = True) -> tuple[dict | None, tuple | None]:
    if not request.is_json:
        return None, api_error(415, "send the body as application/json", "Content-Type")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # the parser's own stack limit: a body nested thousands deep
        return None, api_error(400, f"the body is nested deeper than {MAX_JSON_DEPTH} levels", None)
    if not isinstance(body, dict):
        return None, api_error(400, "the body is not a valid UTF-8 JSON object", None)
    if _too_deep(body):
        return None, api_error(400, f"the body is nested deeper than {MAX_JSON_DEPTH} levels", None)
    return body, (nul_error(body) if refuse_nul else None)


MAX_JSON_DEPTH = 20  # a response is {answers: {code: [values]}}: far below this


def _too_deep(body: dict) -> bool:
    """Without recursion (the checks below recurse): is anything nested beyond MAX_JSON_DEPTH?"""
    level, depth = [body], 1
    while level:
        if depth > MAX_JSON_DEPTH:
            return True
        level = [child for value in level for child in (value.values() if isinstance(value, dict) else value)
                 if isinstance(child, (dict, list))]
        depth += 1
    return False


def nul_error(body: dict) -> tuple | None:
    where = _nul_path(body)
    if where is None:
        return None
    path, message = where
    return api_error(400, message, path or None)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "text must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (\ud800): no UTF-8 text, no database can store it
        return "text must be valid Unicode (an unpaired surrogate \\uD800–\\uDFFF was sent)"
    return None


def _nul_path(value, path: str = "") -> tuple[str, str] | None:
    """(path, message) of the first string PostgreSQL text cannot hold (NUL, lone surrogate), else None."""
    if isinstance(value, str):
        problem = _text_problem(value)
        return None if problem is None else (path, problem)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = _text_problem(key) if isinstance(key, str) else None
        if problem is not None:
            return (path or str(key)), problem
        found = _nul_path(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def errors_response(errors: list[tuple[str | None, str]], status: int = 400):
    return jsonify(errors=[{"field": f, "message": str(m)} for f, m in errors]), status


@bp.get("/openapi.json")
def openapi():

    return jsonify(spec())


@bp.get("/waves/<slug>/questionnaire")
def questionnaire(slug: str):
    """A wave's questionnaire for collection apps; a draft wave's only for staff (bearer token)."""
    wave = waves.get_wave(slug)
    if wave is None or (wave.status == WAVE_DRAFT and not wave_visible(user_from_token(), wave)):
        return api_error(404, f"no wave '{slug}'", "slug")
    return jsonify(questionnaire_of(wave.survey_version).to_api())


@bp.post("/responses")
@limit_failures("RATE_LIMIT_SUBMIT", refused_credential, "submit")  # a valid invitation is never refused
def submit_response():
    body, problem = json_body(refuse_nul=False)
    if problem:
        return problem
    language = body.get("language", "vi")
    if language not in ("vi", "en"):
        return api_error(400, "language must be 'vi' or 'en'", "language")
    if "X-Kiosk-Key" not in request.headers:
        stored = api_intake.try_submit(body, request.get_data(), language)
        if stored is not None:  # (committed already, on its own connection)
            return jsonify(receipt=stored.receipt), 201
    try:
        target = api_intake.resolve(body, request.headers.get("X-Kiosk-Key"))
    except api_intake.Refused as exc:
        db.session.rollback()
        return errors_response(exc.errors, exc.status)
    except api_intake.Replayed as exc:  # a retry of what this invitation stored: its first receipt
        db.session.rollback()
        return jsonify(receipt=exc.stored.receipt), 200
    # From here on the invitation is claimed in this transaction: every refusal rolls it back.
    problem = nul_error(body)
    if problem:
        db.session.rollback()
        return problem
    questionnaire = questionnaire_by_checksum(target.survey_version_id, target.checksum)
    cleaned, field_errors = clean_answers(questionnaire, body["answers"])
    if field_errors:
        db.session.rollback()
        with force_locale(language):
            return errors_response([(e.field, message_for(e)) for e in field_errors])
    try:
        stored = store.insert_response(
            questionnaire, cleaned, wave_id=target.wave_id, survey_version_id=target.survey_version_id,
            agency_id=target.agency_id, channel=target.channel, language=language, stratum=target.stratum,
            invitation_id=target.invitation_id, submission=target.submission, claimed=target.claimed)
        db.session.commit()
    except store.SubmissionConflict:
        db.session.rollback()
        return api_error(409, api_intake.SUBMISSION_REUSED, "submission")
    except (store.AlreadyAnswered, IntegrityError):
        db.session.rollback()
        return api_error(409, "this invitation has already been answered", "invitation")
    # A retried upload of a queued response (same submission id) gets its first receipt back.
    return jsonify(receipt=stored.receipt), 200 if stored.replayed else 201


@bp.post("/auth/token")
@limiter.shared_limit(configured_limit("RATE_LIMIT_LOGIN"), scope="login", deduct_when=lambda r: r.status_code != 200)
def auth_token():
    """The login form's throttle, checks and audit trail, answered with a bearer token."""
    body, problem = json_body(refuse_nul=False)
    if problem:
        return problem
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        return errors_response([("email", "email and password are required strings")])
    try:
        login = logins.authenticate(email, password, request.remote_addr or "", channel="api")
    except logins.LoginRefused as refused:
        db.session.commit()  # keep the record of the failed attempt
        if refused.reason == "throttled":
            body, status = api_error(429, f"too many failed attempts: try again in {refused.retry_after} seconds",
                                     "password")
            return body, status, {"Retry-After": str(refused.retry_after)}
        return api_error(401, "wrong email or password", "password")
    token, row = issue_token(login.user)
    db.session.commit()
    return jsonify(token=token, expires_at=row.expires_at.isoformat() + "Z")


@bp.delete("/auth/token")
def revoke_token():
    """Log out: the bearer token (and its session) ends now."""
    row = token_from_request()
    if row is None:
        return api_error(401, "a valid bearer token is required (POST /api/v1/auth/token)", "Authorization")
    logins.end_session(row.session_id)
    audit.record("auth.logout", "user", row.user_id, user=row.user, after={"channel": "api"})
    db.session.commit()
    return "", 204


@bp.post("/invitations")
@limiter.limit(configured_limit("RATE_LIMIT_INTEGRATION"), key_func=integration_key)
def create_invitation():
    """One invitation for an integration (keys are made by administrators only), rate limited per
    key and capped per day; each one is audited under the key's name."""
    key = api_key_from_request()
    if key is None:
        return api_error(401, "a valid integration key is required in X-API-Key", "X-API-Key")
    body, problem = json_body()
    if problem:
        return problem
    wave = waves.get_wave(str(body.get("wave", "")))
    agency = agencies.by_code(str(body.get("agency", "")))
    if wave is None:
        return api_error(400, "unknown wave", "wave")
    if agency is None or (key.agency_id and key.agency_id != agency.id):
        return api_error(400, "unknown agency, or not one this key may use", "agency")
    dossier = body.get("dossier")
    if dossier is not None and (not isinstance(dossier, str) or not 3 <= len(dossier.strip()) <= 60):
        return api_error(400, "dossier must be a dossier code string", "dossier")
    try:
        issued = invitations.issue(wave, agency, dossiers=[dossier] if dossier else None,
                                   actor_name=f"api_key:{key.id}:{key.name}")
        claim_daily(key)
        reply = jsonify(url=issued[0].url, expires_at=issued[0].expires_at.isoformat() + "Z")  # before the commit
        db.session.commit()
    except invitations.InvitationError as exc:
        db.session.rollback()
        return api_error(409 if exc.field == "dossier" else 400, str(exc), exc.field)
    except LimitExceeded as exc:
        db.session.rollback()
        return api_error(429, str(exc), exc.field)
    return reply, 201


@bp.get("/waves/<slug>/estimates")
@token_required("admin", "official", "agency")
@heavy.limit_reads()
def wave_estimates(slug: str):
    wave = waves.get_wave(slug)
    if wave is None or not wave_visible(g.api_user, wave):
        return api_error(404, f"no wave '{slug}'", "slug")
    by = [c for c in request.args.get("by", "").split(",") if c]
    if g.api_user.role not in STAFF:  # an agency's token: its own agency's rows, never the province's
        by = ["agency", *(c for c in by if c != "agency")]
    try:
        rows = estimates.estimate_rows(wave, by=by, user=g.api_user)
    except Refusal as exc:
        return api_error(400, str(exc), exc.field)
    return jsonify(wave=wave.slug, by=by, rows=rows)
