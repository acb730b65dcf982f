"""Agencies: list and search, create, edit, deactivate, import and export CSV."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.programme import agencies
from app.programme.forms import AgencyForm
from app.shared.forms import ConfirmForm, UploadForm
from app.shared.upload_bounds import MAX_AGENCY_ROWS, check_lines
from app.shared.web import agency_or_404, commit_or_show, download, page_arg, upload_bytes


def _parent_choices(form: AgencyForm, exclude: str | None = None) -> None:
    form.parent.choices = [("", _("(none)"))] + [
        (a.code, f"{a.code} — {a.name_vi}") for a in agencies.active_agencies() if a.code != exclude]


@bp.get("/agencies")
@admin_only
def agency_list():
    q = request.args.get("q", "").strip()[:100]
    include_inactive = request.args.get("inactive") == "1"
    page = agencies.search(q, include_inactive=include_inactive, page=page_arg())
    return render_template("admin/agencies/list.html", page=page, q=q, include_inactive=include_inactive,
                           confirm=ConfirmForm(), level_names=dict(AgencyForm.level_choices()))


def _save(form: AgencyForm, agency=None):
    return commit_or_show(
        form, lambda: agencies.save(agency, code=form.code.data, name_vi=form.name_vi.data,
                                    name_en=form.name_en.data or "", block=form.block.data,
                                    parent=form.parent.data or "", level=form.level.data,
                                    unit_code=form.unit_code.data or "", one_stop_code=form.one_stop_code.data or "",
                                    valid_from=form.valid_from.data, valid_to=form.valid_to.data, actor=current_user()),
        lambda saved: _("Agency %(code)s saved.", code=saved.code),
        lambda saved: url_for("admin.agency_list", q=saved.code))


@bp.route("/agencies/new", methods=["GET", "POST"])
@admin_only
def agency_new():
    form = AgencyForm()
    _parent_choices(form)
    if form.validate_on_submit() and (done := _save(form)):
        return done
    return render_template("admin/agencies/form.html", form=form, agency=None,
                           blocks=agencies.blocks()), 400 if form.errors or form.form_errors else 200


@bp.route("/agencies/<code>/edit", methods=["GET", "POST"])
@admin_only
def agency_edit(code: str):
    agency = agency_or_404(code)
    form = AgencyForm(obj=agency) if request.method == "GET" else AgencyForm()
    if request.method == "GET":
        form.block.data = agency.block.code
        form.parent.data = agency.parent.code if agency.parent else ""
    _parent_choices(form, exclude=agency.code)
    if form.validate_on_submit() and (done := _save(form, agency)):
        return done
    return render_template("admin/agencies/form.html", form=form, agency=agency, confirm=ConfirmForm(),
                           blocks=agencies.blocks()), 400 if form.errors or form.form_errors else 200


@bp.post("/agencies/<code>/active")
@admin_only
def agency_set_active(code: str):
    agency = agency_or_404(code)
    back = url_for("admin.agency_edit", code=code)
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        return commit_or_show(None, lambda: agencies.set_active(agency, active, actor=current_user()),
                              _("Agency %(code)s reactivated.", code=code) if active
                              else _("Agency %(code)s deactivated.", code=code), back, back=redirect(back))
    return redirect(back)


@bp.route("/agencies/import", methods=["GET", "POST"])
@admin_only
def agency_import():
    form, errors = UploadForm(), []

    def import_file() -> tuple[int, int]:
        data = upload_bytes(form.file.data)
        check_lines(data, MAX_AGENCY_ROWS, _("agencies"))
        return agencies.import_csv(data, actor=current_user())

    if form.validate_on_submit() and (done := commit_or_show(
            form, import_file, lambda counts: _("Imported: %(created)d created, %(updated)d updated.",
                                                created=counts[0], updated=counts[1]),
            url_for("admin.agency_list"), row_errors=errors)):
        return done
    status = 400 if errors or form.errors else 200
    return render_template("admin/agencies/import.html", form=form, errors=errors), status


@bp.get("/agencies/export.csv")
@admin_only
def agency_export():
    return download(agencies.export_csv(), "agencies.csv", "text/csv")
