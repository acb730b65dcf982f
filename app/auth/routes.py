from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.auth import SESSION_KEY, bp, current_user
from app.auth.forms import LoginForm
from app.extensions import configured_limit, db, limiter
from app.services import sessions

HOME = {"admin": "/admin/", "official": "/dashboard/", "agency": "/dashboard/"}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATE_LIMIT_LOGIN"), methods=["POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = sessions.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except sessions.LoginRefused as refused:
            db.session.commit()  # keep the record of the failed attempt
            status = 429 if refused.reason == "throttled" else 401
            flash(_("Too many failed attempts. Please wait 15 minutes and try again.") if status == 429
                  else _("Wrong email or password."), "error")
        else:
            session.clear()
            session[SESSION_KEY] = sessions.start(user)
            session.permanent = False
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or HOME.get(user.role, "/"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    user = current_user()
    sessions.end(session.get(SESSION_KEY))
    if user is not None:
        from app.services import audit

        audit.record("auth.logout", "user", user.id, user=user)
    db.session.commit()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
