"""The signed-in person's own account page, /account: who they are, a link to change the password
and, for the accounts that read feedback cases, the opt-in to their weekly digest by e-mail
(app.cases.notices; audited, the choice only)."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import current_user, roles_required
from app.blueprints import auth as bp
from app.cases import notices
from app.cases.forms import DigestForm
from app.shared.web import commit_or_show


@bp.route("/account", methods=["GET", "POST"])
@roles_required()
def account():
    user = current_user()
    may_digest = notices.may_get_digest(user)
    form = DigestForm()
    if request.method == "GET":
        form.digest.data = bool(user.digest_opt_in)
    status = 200
    if request.method == "POST":
        if not may_digest:
            status = 403
        elif form.validate_on_submit():
            wanted = bool(form.digest.data)
            done = commit_or_show(form, lambda: notices.set_digest(user, wanted),
                                  _("You will receive the weekly digest of feedback cases.") if wanted
                                  else _("You will no longer receive the weekly digest of feedback cases."),
                                  url_for("auth.account"), code=303)
            if done is not None:
                return done
            status = 400
        else:
            status = 400
    return render_template("auth/account.html", user=user, form=form, may_digest=may_digest), status
