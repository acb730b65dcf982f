"""The questionnaire pages for link and kiosk respondents (the form session says which)."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from app.blueprints import public as bp
from app.cases import follow_up
from app.collect import form_sessions, invitations, kiosks, page_flow
from app.collect.page_view import page_view
from app.collect.posted import read_page
from app.extensions import db
from app.i18n import current_language
from app.programme import waves
from app.programme.questionnaires import questionnaire_of
from app.shared.refusal import Refusal
from app.throttle import limit_failures, redirected_to, status_in

SESSION_KEY = "fs"
CASE_KEY = "case"  # the status link of the case the last submission opened: {"fs": form session id, "token"}


def current_form():
    """The form session of this browser, checked: (row, None) or (None, a page to return)."""
    row = form_sessions.find(session.get(SESSION_KEY))
    if row is None:
        return None, (render_template("public/unavailable.html", reason="session"), 404)
    if row.channel == "kiosk":
        key = kiosks.from_cookie(request.cookies.get(kiosks.COOKIE), row.agency)
        if key is None or key.id != row.kiosk_key_id:
            return None, (render_template("public/kiosk_forbidden.html"), 403)
    if row.done_at is not None and row.receipt:
        return None, redirect(url_for(".thanks"), 303) if request.method == "GET" else already(row)
    reason = form_sessions.unavailable_reason(row)
    if reason:
        return None, already(row) if reason == "answered" else (
            render_template("public/unavailable.html", reason=reason), 410)
    return row, None


def already(row):
    return render_template("public/already.html", row=row), 409


def render_page(row, q, page, answers, values=None, errors=None, revealed=None, status=200):
    lang = current_language()
    view = page_view(q, page, answers, lang, values=values, errors=errors)
    description = q.definition.description
    return render_template("public/page.html", row=row, q=q, lang=lang, revealed=revealed,
                           survey_title=getattr(q.definition.title, lang),
                           intro=getattr(description, lang) if description else None, **view), status


@bp.get("/answer")
def answer():
    row, problem = current_form()
    if problem:
        return problem
    q = questionnaire_of(row.wave.survey_version)
    if row.page == page_flow.follow_up_page(q):
        return render_follow_up(row, q, follow_up.empty_step())
    return render_page(row, q, row.page, row.answers)


def render_follow_up(row, q, step, status=200):
    """The optional last step: "I want an answer about this" (app/collect/follow_up.py)."""
    lang = current_language()
    return render_template("public/case_ask.html", row=row, step=step, page=page_flow.follow_up_page(q),
                           survey_title=getattr(q.definition.title, lang),
                           channels=follow_up.CHANNEL_LABELS,
                           retention_days=current_app.config["CASE_CONTACT_RETENTION_DAYS"]), status


@bp.post("/answer")
# A form session started from an invitation or a kiosk key is never refused; posts without one count.
@limit_failures("RATE_LIMIT_SUBMIT", status_in(403, 404), "submit")
def answer_post():
    row, problem = current_form()
    if problem:
        return problem
    q = questionnaire_of(row.wave.survey_version)
    try:
        posted = read_page(request, q)
    except Refusal as exc:
        return render_template("public/unavailable.html", reason="bad", message=exc.args[0]), 400
    page = posted.page if posted.page is not None and posted.page <= row.page else None
    if page is None or page > page_flow.follow_up_page(q):
        abort(400)
    if page == page_flow.follow_up_page(q):
        return _follow_up_post(row, q, posted.action)
    if posted.action == "back":
        form_sessions.save(row, row.answers, page_flow.next_page(q, page, row.answers, -1) or 0)
        db.session.commit()
        return redirect(url_for(".answer"), 303)
    result = page_flow.answer_page(q, page, posted.raw, row.answers, posted.shown)
    if result.errors:
        return render_page(row, q, page, result.answers, posted.raw, result.errors, status=400)
    following = page_flow.next_page(q, page, result.answers)
    # After the last page with questions: the optional follow-up step, then the response is stored.
    ahead = following if following is not None else page_flow.follow_up_page(q)
    form_sessions.save(row, result.answers, page if result.revealed else ahead)
    db.session.commit()
    if result.revealed:
        return render_page(row, q, page, result.answers, revealed=result.revealed)
    return redirect(url_for(".answer"), 303)


def _follow_up_post(row, q, action: str):
    """The follow-up step sent: back to the questions, or store the response (and open its case)."""
    if action == "back":
        previous = page_flow.next_page(q, page_flow.follow_up_page(q), row.answers, -1)
        form_sessions.save(row, row.answers, previous or 0)
        db.session.commit()
        return redirect(url_for(".answer"), 303)
    step = follow_up.from_form(request.form)
    if step.errors:
        return render_follow_up(row, q, step, status=400)
    return _finish(row, q, step)


def _finish(row, q, step):
    """Store the response and open its case, if any, in one transaction (one commit)."""
    language = current_language()
    try:
        outcome = form_sessions.finish(row, language)
        if outcome.errors:
            form_sessions.save(row, row.answers, outcome.page)
            db.session.commit()
            return render_page(row, q, outcome.page, row.answers, errors=outcome.errors, status=400)
        token = follow_up.open_cases(row.wave, row.agency, q, outcome.response.answers, step.follow_up, language)
        db.session.commit()
    except Refusal as exc:  # the service refused the follow-up: nothing was stored, response included
        db.session.rollback()
        step.errors = {str(field).removeprefix(follow_up.PREFIX): str(message) for field, message in exc.errors}
        return render_follow_up(row, q, step, status=400)
    except (form_sessions.AlreadyAnswered, IntegrityError):
        db.session.rollback()
        return already(row)
    session.pop(CASE_KEY, None)
    if token is not None:
        session[CASE_KEY] = {"fs": row.id, "token": token}
    return redirect(url_for(".thanks"), 303)


@bp.get("/answer/thanks")
def thanks():
    row = form_sessions.find(session.get(SESSION_KEY))
    if row is None or row.done_at is None or not row.receipt:
        return render_template("public/unavailable.html", reason="session"), 404
    case = session.get(CASE_KEY)
    token = case.get("token") if isinstance(case, dict) and case.get("fs") == row.id else None
    if row.channel == "kiosk":
        session.pop(SESSION_KEY, None)  # the next person starts afresh; nothing stays behind
        session.pop(CASE_KEY, None)
    status_url = follow_up.status_url(token) if token else None
    # at a kiosk the citizen leaves the screen behind: the status link as a QR code for their phone
    status_qr = invitations.qr_data_uri(status_url) if status_url and row.channel == "kiosk" else None
    return render_template("public/thanks.html", row=row, receipt=row.receipt, status_url=status_url,
                           status_qr=status_qr)


NO_STORE_PREFIXES = ("/s/", "/answer", "/k/", "/paper", "/link")
LINK_REASONS = ("answered", "expired", "closed")


@bp.get("/")
def home():
    return render_template("public/home.html", waves=waves.open_waves())


@bp.get("/s/<path:token>")
@limit_failures("RATE_LIMIT_TOKEN", redirected_to("/link"), "token")  # only unknown/used/expired tokens count
def invitation(token: str):
    """Exchange the token for a form session and leave this URL at once (history, referrers, logs).

    Opening the link again, on this device or another, continues the unfinished questionnaire
    where it was left; a used, expired or closed link says which (an unknown one says nothing)."""
    found, why = invitations.link_state(token)
    if found is None:
        return redirect(url_for(".link_unavailable", why=why if why in LINK_REASONS else None), 303)
    session[SESSION_KEY] = form_sessions.resume_or_start(found.wave, found.agency, found)
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        session["lang"] = request.args["lang"]  # a sent link opens in its message's language
    if found.opened_at is None:
        invitations.mark_opened(found.id)  # the funnel's "opened": the first time only
    db.session.commit()
    return redirect(url_for(".answer"), 303)


@bp.get("/link")
def link_unavailable():
    why = request.args.get("why")
    return render_template("public/unavailable.html", reason=why if why in LINK_REASONS else "link"), 404


@bp.after_app_request
def no_store(response):
    # Answers in progress must not stay in a shared device's cache or back/forward history.
    if request.path.startswith(NO_STORE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response
