"""Accounts: list, create, change role or agency, deactivate."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import users
from app.accounts.access import admin_only, current_user
from app.accounts.forms import AccountForm
from app.blueprints import admin as bp
from app.extensions import db
from app.models import User
from app.programme import agencies
from app.shared.web import commit_or_show


def _choices(form: AccountForm) -> None:
    form.agency.choices = [("", _("(none)"))] + [(a.code, f"{a.code} — {a.name_vi}")
                                                  for a in agencies.active_agencies()]


@bp.get("/accounts")
@admin_only
def account_list():
    return render_template("admin/accounts/list.html", users=users.list_users())


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_only
def account_new():
    form = AccountForm()
    _choices(form)
    if form.validate_on_submit() and (done := commit_or_show(
            form, lambda: users.create_user(form.email.data, form.role.data, form.password.data or "",
                                            agency_code=form.agency.data or None,
                                            name=(form.name.data or "").strip(), actor=current_user()),
            lambda user: _("Account %(email)s created.", email=user.email), url_for("admin.account_list"))):
        return done
    return render_template("admin/accounts/form.html", form=form, account=None), 400 if form.errors else 200


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@admin_only
def account_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = AccountForm(obj=user) if request.method == "GET" else AccountForm()
    if request.method == "GET":
        form.agency.data = user.agency.code if user.agency else ""
    form.email.data = user.email  # the email is the login: it does not change here
    _choices(form)
    if form.validate_on_submit() and (done := commit_or_show(
            form, lambda: users.update(user, role=form.role.data, agency_code=form.agency.data or "",
                                       name=form.name.data or "", active=request.form.get("active") == "1",
                                       actor=current_user()),
            _("Account %(email)s saved.", email=user.email), url_for("admin.account_list"))):
        return done
    return render_template("admin/accounts/form.html", form=form, account=user), 400 if form.errors else 200


@bp.post("/accounts/<int:user_id>/reset")
@admin_only
def account_reset(user_id: int):
    """A single-use link for the user to set a new password, shown once (never stored raw)."""
    user = db.session.get(User, user_id) or abort(404)
    if not user.active:
        flash(_("Activate the account before giving it a password reset link."), "error")
        return redirect(url_for("admin.account_edit", user_id=user.id))
    token = users.create_reset(user, current_user())
    db.session.commit()
    link = f"{current_app.config['PUBLIC_BASE_URL']}{url_for('auth.reset_password', token=token)}"
    return render_template("admin/accounts/reset.html", account=user, link=link,
                           hours=current_app.config["PASSWORD_RESET_HOURS"])
