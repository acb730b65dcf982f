"""JSON API v1 (contract in ../shared/DESIGN.md ⚑). Routes parse, call a service, commit once."""
from __future__ import annotations

from flask import g, jsonify, request

from app.accounts import tokens
from app.accounts.tokens import token_required, user_from_token
from app.api.openapi import spec
from app.blueprints import api as bp
from app.cases import follow_up
from app.collect import api_intake
from app.collect.issuing import integration_key
from app.errors import api_error
from app.extensions import configured_limit, db, limiter
from app.models.wave import WAVE_DRAFT
from app.programme import agencies, waves
from app.programme.questionnaires import questionnaire_of
from app.reach import contacts as reach_contacts
from app.reach import sending
from app.reports import case_pages
from app.reports.lookups import STAFF, wave_visible
from app.results import estimates, heavy, lineage_trend, snapshot
from app.shared.refusal import Refusal
from app.throttle import limit_failures, refused_credential


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
    try:
        api_intake.refuse_unstorable_text(body)
    except Refusal as exc:
        return refused(exc)
    return None


def errors_response(errors: list[tuple[str | None, str]], status: int = 400):
    return jsonify(errors=[{"field": f, "message": str(m)} for f, m in errors]), status


def refused(exc: Refusal):
    """Undo what the request wrote and answer with the refusal (and when to retry, if throttled)."""
    db.session.rollback()
    retry = getattr(exc, "retry_after", None)
    return (*errors_response(exc.errors, exc.status), {"Retry-After": str(retry)} if retry else {})


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
    try:
        stored = api_intake.submit(body, request.get_data(), request.headers.get("X-Kiosk-Key"))
        db.session.commit()
    except Refusal as exc:
        return refused(exc)
    # A retried upload of a queued response (same submission id) gets its first receipt back.
    answer = {"receipt": stored.receipt}
    if stored.case_token:  # the citizen's status link of the case this submission opened
        answer["case"] = {"status_url": follow_up.status_url(stored.case_token)}
    return jsonify(answer), 200 if stored.replayed else 201


@bp.post("/auth/token")
@limiter.shared_limit(configured_limit("RATE_LIMIT_LOGIN"), scope="login", deduct_when=lambda r: r.status_code != 200)
def auth_token():
    """The login form's throttle, checks and audit trail, answered with a bearer token."""
    body, problem = json_body(refuse_nul=False)
    if problem:
        return problem
    try:
        token, row = tokens.log_in(body.get("email"), body.get("password"), request.remote_addr or "")
    except Refusal as exc:
        db.session.commit()  # keep the record of the failed attempt
        return refused(exc)
    db.session.commit()
    return jsonify(token=token, expires_at=row.expires_at.isoformat() + "Z")


@bp.delete("/auth/token")
def revoke_token():
    """Log out: the bearer token (and its session) ends now."""
    row = tokens.token_from_request()
    if row is None:
        return api_error(401, "a valid bearer token is required (POST /api/v1/auth/token)", "Authorization")
    tokens.log_out(row)
    db.session.commit()
    return "", 204


@bp.post("/invitations")
@limiter.limit(configured_limit("RATE_LIMIT_INTEGRATION"), key_func=integration_key)
def create_invitation():
    """One invitation for an integration key (made by administrators only): api_intake.invite."""
    key = tokens.api_key_from_request()
    if key is None:
        return api_error(401, "a valid integration key is required in X-API-Key", "X-API-Key")
    body, problem = json_body()
    if problem:
        return problem
    try:
        # "contact": {"channel", "address", "language"?}: the invitation goes out by that channel (app.reach)
        contact = reach_contacts.from_api(body["contact"]) if body.get("contact") is not None else None
        issued = api_intake.invite(key, body)
        answer = {"url": issued.url, "expires_at": issued.expires_at.isoformat() + "Z"}
        if contact is not None:
            answer["queued"] = sending.send_one(issued, *contact, actor_name=f"api_key:{key.id}:{key.name}")
        reply = jsonify(answer)  # before the commit
        db.session.commit()
    except Refusal as exc:
        return refused(exc)
    return reply, 201


@bp.get("/waves/<slug>/estimates")
@token_required("admin", "official", "agency")
@heavy.limit_reads()
def wave_estimates(slug: str):
    wave = waves.get_wave(slug)
    if wave is None or not wave_visible(g.api_user, wave):
        return api_error(404, f"no wave '{slug}'", "slug")
    by = [c for c in request.args.get("by", "").split(",") if c]
    view = request.args.get("view", "reviewed")
    if view not in snapshot.VIEWS:
        return api_error(400, f"unknown view '{view[:40]}'; choose reviewed (after integrity review) or collected",
                         "view")
    if g.api_user.role not in STAFF:  # an agency's token: its own agency's rows, never the province's
        by = ["agency", *(c for c in by if c != "agency")]
    try:
        rows = estimates.estimate_rows(wave, by=by, user=g.api_user, view=view)
    except Refusal as exc:
        return api_error(400, str(exc), exc.field)
    # feedback handling (PAKN) per unit over the wave's period: app.reports.case_pages.api_rows
    return jsonify(wave=wave.slug, by=by, view=view, rows=rows, cases=case_pages.api_rows(wave, g.api_user))


@bp.get("/agencies/<code>/trend")
@token_required("admin", "official", "agency")
@heavy.limit_reads()
def agency_trend(code: str):
    """A unit's index across waves on today's organisation: each point with its basis (direct,
    reaggregated, modelled) and the reorganisation dates as breaks."""
    agency = agencies.by_code(code)
    if agency is None or (g.api_user.role not in STAFF and g.api_user.agency_id != agency.id):
        return api_error(404, f"no agency '{code}'", "code")
    measure = request.args.get("measure", "overall")
    known = lineage_trend.known_measures(agency)
    if measure not in known:
        return api_error(400, f"unknown measure '{measure[:40]}'; choose one of {', '.join(known)}", "measure")
    result = lineage_trend.trend(agency, measure)
    db.session.commit()  # (reading may have folded new responses into the roll-ups)
    return jsonify(result)
