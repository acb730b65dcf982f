"""The administrator's reorganisation page: upload the CSV, read the preview, apply."""
from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.programme import reorganise
from app.shared.csvio import ImportRejected, RowError
from app.shared.forms import TranslatedForm, UploadForm
from app.shared.upload_bounds import MAX_AGENCY_ROWS, check_lines
from app.shared.web import commit_or_show, upload_bytes


class ApplyForm(TranslatedForm):
    """The checked file again, as the preview showed it (checked again before it is applied)."""

    source = HiddenField(validators=[DataRequired(), Length(max=2_000_000)])


@bp.route("/agencies/reorganise", methods=["GET", "POST"])
@admin_only
def agency_reorganise():
    upload, confirm = UploadForm(prefix="upload"), ApplyForm(prefix="apply")
    errors: list[RowError] = []
    preview = None
    if confirm.source.data and confirm.validate_on_submit():
        done = commit_or_show(confirm, lambda: reorganise.apply(confirm.source.data, actor=current_user()),
                              lambda result: _("Reorganised: %(old)d units into %(new)d.", old=len(result.ends),
                                               new=len(result.predecessors())),
                              url_for("admin.agency_list", inactive="1"), row_errors=errors)
        if done:
            return done
    elif upload.validate_on_submit():
        data = upload_bytes(upload.file.data)
        try:
            check_lines(data, MAX_AGENCY_ROWS, _("rows"))
            preview = reorganise.plan(data)
            confirm.source.data = data.decode("utf-8-sig")
        except ImportRejected as rejected:
            errors = rejected.errors
    status = 400 if errors or upload.errors or confirm.errors else 200
    return render_template("admin/agencies/reorganise.html", upload=upload, confirm=confirm, errors=errors,
                           preview=preview), status
