"""Kiosk at an agency's desk: a device holding the agency's kiosk key starts one response after another."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, make_response, redirect, render_template, request, session, url_for

from app.blueprints import public as bp
from app.collect import form_sessions, kiosks
from app.collect.answer_views import SESSION_KEY
from app.extensions import db
from app.programme import agencies
from app.throttle import limit_failures, status_in

KEY_LIFETIME = timedelta(days=400)  # the longest browsers keep a cookie


def _agency(code: str):
    agency = agencies.by_code(code)
    if agency is None or not agency.active or (agency.valid_to is not None and agency.valid_to < date.today()):
        abort(404)  # (a unit that no longer exists after a reorganisation: its desk is another's now)
    return agency


def _device_key(agency):
    return kiosks.from_cookie(request.cookies.get(kiosks.COOKIE), agency)


@bp.get("/k/<code>")
@limit_failures("RATE_LIMIT_TOKEN", status_in(403), "token")  # bad kiosk keys count, valid ones never
def kiosk_home(code: str):
    agency = _agency(code)
    setup_code = request.args.get("key")
    if setup_code is not None:
        # The one-time code becomes this tablet's own secret; the link is dead from now on.
        secret = kiosks.exchange(setup_code, agency)
        if secret is None:
            db.session.rollback()
            return render_template("public/kiosk_forbidden.html", setup_failed=True), 403
        db.session.commit()
        return _device_cookie(redirect(url_for(".kiosk_home", code=agency.code), 303), secret)
    cookie = request.cookies.get(kiosks.COOKIE)
    secret = None
    if kiosks.device_key(cookie, agency) is None:
        legacy = kiosks.adopt_legacy(cookie, agency)  # a raw key in the cookie: swapped for a secret
        if legacy is None:
            return render_template("public/kiosk_forbidden.html"), 403
        db.session.commit()
        secret = legacy[1]
    session.pop(SESSION_KEY, None)
    response = make_response(render_template("public/kiosk_start.html", agency=agency, wave=kiosks.wave_for(agency)))
    return _device_cookie(response, secret) if secret else response


def _device_cookie(response, secret: str):
    response.set_cookie(kiosks.COOKIE, secret, max_age=KEY_LIFETIME, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.post("/k/<code>/start")
@limit_failures("RATE_LIMIT_SUBMIT", status_in(403), "submit")
def kiosk_start(code: str):
    agency = _agency(code)
    key = _device_key(agency)
    if key is None:
        return render_template("public/kiosk_forbidden.html"), 403
    wave = kiosks.wave_for(agency)
    if wave is None:
        return redirect(url_for(".kiosk_home", code=agency.code), 303)
    kiosks.touch(key)
    session[SESSION_KEY] = form_sessions.start("kiosk", wave, agency, kiosk_key=key)
    db.session.commit()
    return redirect(url_for(".answer"), 303)


@bp.post("/k/<code>/reset")
def kiosk_reset(code: str):
    """Start over: the answers of the person who walked away are deleted, not kept."""
    agency = _agency(code)
    row = form_sessions.find(session.pop(SESSION_KEY, None))
    if row is not None and row.channel == "kiosk" and row.agency_id == agency.id and row.done_at is None:
        form_sessions.discard(row)
        db.session.commit()
    return redirect(url_for(".kiosk_home", code=agency.code), 303)
