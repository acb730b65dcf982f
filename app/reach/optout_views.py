"""/o/<token>: the opt-out link of every invitation and reminder. No account: the invitation's
token is the key, so unknown tokens count against the address like /s/ links; the page shows
neither the address nor anything of an answer, and keeps out of referrers, caches and search
engines."""
from __future__ import annotations

from flask import make_response, render_template, request
from flask_babel import gettext as _

from app.blueprints import public as bp
from app.extensions import db
from app.reach import optouts
from app.throttle import limit_failures, status_in

HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store"}


def _page(template: str, status: int = 200, **values):
    response = make_response(render_template(template, **values), status)
    response.headers.update(HEADERS)
    return response


def _target(token: str):
    return optouts.find(token) if len(token) <= 100 else None


@bp.get("/o/<token>")
@limit_failures("RATE_LIMIT_TOKEN", status_in(404), "token")  # only unknown tokens count
def opt_out(token: str):
    target = _target(token)
    if target is None:
        return _page("public/optout_unknown.html", 404)
    return _page("public/optout.html", token=token, target=target, done=target.opted_out(), error=None)


@bp.post("/o/<token>")
@limit_failures("RATE_LIMIT_TOKEN", status_in(404), "token")
def opt_out_post(token: str):
    target = _target(token)
    if target is None:
        return _page("public/optout_unknown.html", 404)
    scope = request.form.get("scope")
    if scope not in optouts.SCOPES:
        return _page("public/optout.html", 400, token=token, target=target, done=target.opted_out(),
                     error=_("Please choose one of the two options."))
    optouts.opt_out(target, scope)
    db.session.commit()
    return _page("public/optout.html", token=token, target=target, done=target.opted_out(), error=None,
                 just_done=True)
