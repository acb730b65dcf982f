from flask import redirect, render_template, request, session, url_for

from app.extensions import db
from app.public import bp
from app.public.answer import SESSION_KEY
from app.services import form_session, invitations, waves
from app.throttle import limit_failures, redirected_to

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
    session[SESSION_KEY] = form_session.resume_or_start(found.wave, found.agency, found)
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
