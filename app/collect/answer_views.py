"""The questionnaire pages for link and kiosk respondents (the form session says which)."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from app.blueprints import public as bp
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
    return render_page(row, q, row.page, row.answers)


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
    if page is None or page >= len(page_flow.pages(q)):
        abort(400)
    if posted.action == "back":
        form_sessions.save(row, row.answers, page_flow.next_page(q, page, row.answers, -1) or 0)
        db.session.commit()
        return redirect(url_for(".answer"), 303)
    result = page_flow.answer_page(q, page, posted.raw, row.answers, posted.shown)
    if result.errors:
        return render_page(row, q, page, result.answers, posted.raw, result.errors, status=400)
    following = page_flow.next_page(q, page, result.answers)
    form_sessions.save(row, result.answers, page if result.revealed else (following or page))
    if result.revealed or following is not None:
        db.session.commit()
        if result.revealed:
            return render_page(row, q, page, result.answers, revealed=result.revealed)
        return redirect(url_for(".answer"), 303)
    return _finish(row, q)


def _finish(row, q):
    try:
        outcome = form_sessions.finish(row, current_language())
        if outcome.errors:
            form_sessions.save(row, row.answers, outcome.page)
            db.session.commit()
            return render_page(row, q, outcome.page, row.answers, errors=outcome.errors, status=400)
        db.session.commit()
    except (form_sessions.AlreadyAnswered, IntegrityError):
        db.session.rollback()
        return already(row)
    return redirect(url_for(".thanks"), 303)


@bp.get("/answer/thanks")
def thanks():
    row = form_sessions.find(session.get(SESSION_KEY))
    if row is None or row.done_at is None or not row.receipt:
        return render_template("public/unavailable.html", reason="session"), 404
    if row.channel == "kiosk":
        session.pop(SESSION_KEY, None)  # the next person starts afresh; nothing stays behind
    return render_template("public/thanks.html", row=row, receipt=row.receipt)


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
