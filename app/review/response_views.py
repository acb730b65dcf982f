"""A wave's responses: browse with filters, exclude or restore with a reason, export with a codebook.

Administrators only: an agency account sees its aggregates above the anonymity threshold, never
individual responses (the newest row of its list was the receipt a citizen was just shown at its
kiosk, and the detail showed every answer and an unmoderated comment).
"""
from __future__ import annotations

from datetime import date

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.extensions import db
from app.models import Response, Wave
from app.programme.wave_views import CHANNEL_LABELS, wave_or_404
from app.review import cleaning, exchange, export_jobs
from app.shared import audit
from app.shared.forms import ReasonForm
from app.shared.web import commit_or_show, download, page_arg

MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "sav": "application/x-spss-sav"}


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/waves/<slug>/responses")
@admin_only
def response_list(slug: str):
    wave = wave_or_404(slug)
    agencies = list(wave.agencies)
    chosen = next((a for a in agencies if a.code == request.args.get("agency")), None)
    agency_id = chosen.id if chosen else None
    excluded = {"yes": True, "no": False}.get(request.args.get("excluded", ""))
    page = cleaning.browse(wave, agency_id=agency_id, channel=request.args.get("channel", ""),
                                  date_from=_date("from"), date_to=_date("to"), excluded=excluded, page=page_arg())
    return render_template("admin/responses/list.html", wave=wave, page=page, agencies=agencies,
                           channel_labels=CHANNEL_LABELS, args=request.args)


@bp.route("/responses/<int:response_id>", methods=["GET", "POST"])
@admin_only
def response_detail(response_id: int):
    response = db.session.get(Response, response_id) or abort(404)
    form = ReasonForm()
    if form.validate_on_submit() and (done := commit_or_show(
            form, lambda: cleaning.set_excluded(response, request.form.get("excluded") == "1", form.reason.data,
                                                actor=current_user()),
            lambda _none: _("Response excluded from every estimate.") if response.excluded
            else _("Response restored."), url_for("admin.response_detail", response_id=response.id))):
        return done
    wave = db.session.get(Wave, response.wave_id)
    return render_template("admin/responses/detail.html", response=response, wave=wave, form=form,
                           answers=cleaning.answers_of(response)), 400 if form.errors else 200


@bp.get("/waves/<slug>/export")
@admin_only
def wave_export(slug: str):
    wave = wave_or_404(slug)
    return render_template("admin/responses/export.html", wave=wave)


@bp.get("/waves/<slug>/export/<fmt>")
@admin_only
def wave_export_file(slug: str, fmt: str):
    wave = wave_or_404(slug)
    if fmt not in exchange.FORMATS:
        abort(404)
    data = exchange.export_bytes(wave, fmt)
    audit.record("wave.export", "wave", wave.slug, user=current_user(), after={"format": fmt})
    db.session.commit()
    return download(data, f"{wave.slug}.{fmt}", MIMETYPES[fmt])


@bp.post("/waves/<slug>/export/jobs")
@admin_only
def wave_export_job_start(slug: str):
    """Excel for a large wave takes seconds: written by a background job whose progress a
    self-refreshing page shows (app.review.export_jobs)."""
    wave = wave_or_404(slug)
    job = export_jobs.start(wave, "xlsx", current_user().id)
    audit.record("wave.export", "wave", wave.slug, user=current_user(), after={"format": "xlsx"})
    db.session.commit()
    return redirect(url_for("admin.wave_export_job", slug=wave.slug, job=job), 303)


@bp.get("/waves/<slug>/export/jobs/<job>")
@admin_only
def wave_export_job(slug: str, job: str):
    wave = wave_or_404(slug)
    state = export_jobs.status(job, current_user().id) or abort(404)
    if state["state"] == "done" and request.args.get("download"):
        data = export_jobs.result(job, state) or abort(404)
        return download(data, f"{wave.slug}.{state['format']}", MIMETYPES[state["format"]])
    return render_template("admin/responses/export_job.html", wave=wave, job=job, state=state)


@bp.get("/waves/<slug>/codebook.csv")
@admin_only
def wave_codebook(slug: str):
    wave = wave_or_404(slug)
    lang = "en" if request.args.get("in") == "en" else "vi"
    return download(cleaning.codebook_csv(wave, lang), f"{wave.slug}-codebook-{lang}.csv", "text/csv")
