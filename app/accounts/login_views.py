from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts import logins, users
from app.accounts.access import current_user, roles_required
from app.accounts.forms import ChangePasswordForm, LoginForm, NewPasswordForm
from app.blueprints import auth as bp
from app.extensions import configured_limit, db, limiter
from app.homes import home_url
from app.security import SESSION_KEY
from app.shared import audit
from app.shared.web import commit_or_show
from app.throttle import limit_failures, status_in

RESET_KEY = "pwreset"
# The login form and POST /api/v1/auth/token share one per-address allowance of failed attempts.
login_limit = limiter.shared_limit(configured_limit("RATE_LIMIT_LOGIN"), scope="login", methods=["POST"],
                                   deduct_when=lambda response: response.status_code != 302)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            login = logins.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except logins.LoginRefused as refused:
            db.session.commit()  # keep the record of the failed attempt
            if refused.reason == "throttled":
                status, headers = 429, {"Retry-After": str(refused.retry_after)}
                flash(_("Too many failed attempts for this account from your connection. Please wait "
                        "%(seconds)d seconds and try again. The account is not locked.",
                        seconds=refused.retry_after), "error")
            else:
                status = 401
                flash(_("Wrong email or password."), "error")
        else:
            language = session.get("lang")  # the language chosen on the login page carries over
            session.clear()
            if language:
                session["lang"] = language
            session[SESSION_KEY] = logins.start(login.user)
            session.permanent = False
            db.session.commit()
            if login.failures_since_last_login:
                flash(ngettext("%(num)d failed attempt to log in to your account since your last login.",
                               "%(num)d failed attempts to log in to your account since your last login.",
                               login.failures_since_last_login), "warning")
            return redirect(_safe_next(request.args.get("next")) or home_url(login.user))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.get("/home")
@roles_required()
def home():
    """The signed-in person's home page (app.homes): the header's first link."""
    return redirect(home_url(current_user()))


@bp.post("/logout")
def logout():
    user = current_user()
    logins.end(session.get(SESSION_KEY))
    if user is not None:
        audit.record("auth.logout", "user", user.id, user=user)
    db.session.commit()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
def change_password():
    """Change one's own password; the current one is required. Other sessions and API tokens end."""
    form = ChangePasswordForm()
    if form.validate_on_submit() and (done := commit_or_show(
            form, lambda: users.change_password(current_user(), form.current_password.data, form.password.data,
                                                keep_session=session.get(SESSION_KEY)),
            _("Your password has been changed. Your other sessions and API tokens have ended."),
            home_url(current_user()))):
        return done
    return render_template("auth/password.html", form=form, reset=None), 400 if form.errors else 200


@bp.route("/reset", methods=["GET", "POST"])
@limit_failures("RATE_LIMIT_TOKEN", status_in(404), "token")  # guessed or stale links count, per address
def reset_password():
    """The administrator's link is /reset?token=… (a query parameter the log filter redacts): the
    token moves into the session and the browser is sent to /reset, out of history and referrers."""
    token = request.args.get("token")
    if token is not None:
        if users.find_reset(token) is None:
            return render_template("auth/reset_unavailable.html"), 404
        session[RESET_KEY] = token
        return redirect(url_for("auth.reset_password"), 303)
    row = users.find_reset(session.get(RESET_KEY))
    if row is None:
        return render_template("auth/reset_unavailable.html"), 404
    form = NewPasswordForm()

    def use_link() -> None:
        users.use_reset(row, form.password.data)
        session.clear()  # the link is used up; the new password logs in afresh

    if form.validate_on_submit() and (done := commit_or_show(
            form, use_link, _("Your new password is set. Please log in."), url_for("auth.login"))):
        return done
    return render_template("auth/password.html", form=form, reset=row), 400 if form.errors else 200
