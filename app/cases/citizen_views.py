"""The citizen's status page of a case, /c/<token>: where it stands, the unit's answer, "did the
handling satisfy you?" and reopening. No account: the token is the key (only its keyed hash is
stored), so unknown tokens count against the address like invitation links, and the page keeps
out of referrers, caches and search engines. It never shows the contact nor anything of the
response the case came from."""
from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.blueprints import public as bp
from app.cases import calendar, service
from app.extensions import db
from app.shared.refusal import Refusal
from app.throttle import limit_failures, status_in

STATES = {
    "new": _l("Received: waiting for the unit to take it up"),
    "assigned": _l("Being handled by the unit"),
    "answered": _l("The unit has answered"),
    "closed": _l("The case is closed"),
}
MAX_TEXT = 2000
HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store"}


def _page(body: str, status: int = 200):
    response = make_response(body, status)
    response.headers.update(HEADERS)
    return response


def _unknown():
    return _page(render_template("public/case_unknown.html"), 404)


def _status(case, token: str, errors: dict[str, str] | None = None, text: str = "", status: int = 200):
    today = calendar.today()
    until = service.reopen_until(case)
    may_reopen = case.state in ("answered", "closed") and until is not None and today <= until
    view = {
        "state": STATES.get(case.state, case.state),
        "late": case.state in service.OPEN_STATES and today > case.due_on,
        "may_rate": case.state in ("answered", "closed") and case.answered_on is not None and case.satisfied is None,
        "may_reopen": may_reopen,
        "reopen_until": until,
    }
    return _page(render_template("public/case.html", case=case, token=token, errors=errors or {}, text=text,
                                 **view), status)


def _find(token: str):
    return service.by_token(token) if len(token) <= 100 else None


@bp.get("/c/<token>")
@limit_failures("RATE_LIMIT_TOKEN", status_in(404), "token")  # only unknown tokens count
def case_status(token: str):
    case = _find(token)
    return _unknown() if case is None else _status(case, token)


@bp.post("/c/<token>/rate")
@limit_failures("RATE_LIMIT_TOKEN", status_in(404), "token")
def case_rate(token: str):
    """Once, after the answer: did the handling satisfy the citizen?"""
    case = _find(token)
    if case is None:
        return _unknown()
    choice = request.form.get("satisfied")
    if choice not in ("yes", "no"):
        return _status(case, token, {"satisfied": _("Please choose yes or no.")}, status=400)
    if case.satisfied is not None:
        return _status(case, token, {"satisfied": _("You have already said whether the handling "
                                                       "satisfied you.")}, status=409)
    try:
        service.rate(case, choice == "yes")
    except Refusal as exc:
        db.session.rollback()
        return _status(service.by_token(token), token, {"satisfied": exc.message}, status=exc.status)
    db.session.commit()
    return redirect(url_for(".case_status", token=token, _anchor="rated"), 303)


@bp.post("/c/<token>/reopen")
@limit_failures("RATE_LIMIT_TOKEN", status_in(404), "token")
def case_reopen(token: str):
    """Not done yet: back to the unit with what is still missing, within CASE_REOPEN_DAYS."""
    case = _find(token)
    if case is None:
        return _unknown()
    text = request.form.get("text", "").replace("\r\n", "\n")
    if not text.strip():
        return _status(case, token, {"text": _("Please write what is still missing.")}, status=400)
    if len(text) > MAX_TEXT:
        return _status(case, token, {"text": _("At most 2,000 characters, please.")}, text[:MAX_TEXT + 10],
                       status=400)
    try:
        service.reopen(case, text)
    except Refusal as exc:
        db.session.rollback()
        return _status(service.by_token(token), token, {"text": exc.message}, text, status=exc.status)
    db.session.commit()
    return redirect(url_for(".case_status", token=token), 303)
